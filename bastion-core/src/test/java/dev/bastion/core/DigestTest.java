package dev.bastion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  private static final long SEED = 0xD16E57L;
  private static final String ABC_SHA256 =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  /** Seeded random raw digests: the same cases on every run. */
  static Stream<Arguments> randomRaw() {
    Random r = new Random(SEED);
    return IntStream.range(0, 64)
        .mapToObj(
            i -> {
              byte[] raw = new byte[32];
              r.nextBytes(raw);
              return Arguments.of(i, raw);
            });
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("randomRaw")
  void formatThenParseIsTheIdentity(int caseNo, byte[] raw) {
    Digest d = Digest.ofRaw(raw);

    assertThat(d.toString()).matches("sha256:[0-9a-f]{64}");
    assertThat(d.hex()).isEqualTo(HexFormat.of().formatHex(raw));
    assertThat(d.shortHex()).isEqualTo(d.hex().substring(0, 12));
    assertThat(Digest.parse(d.toString())).isEqualTo(d).hasSameHashCodeAs(d);
    assertThat(Digest.parse(d.hex())).isEqualTo(d);
    assertThat(Digest.parse(d.toString()).raw()).isEqualTo(raw);
    assertThat(Digest.parse(d.toString()).toString()).isEqualTo(d.toString());
  }

  @Test
  void knownSha256Values() throws IOException {
    byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);

    assertThat(Digest.of(abc).hex()).isEqualTo(ABC_SHA256);
    assertThat(Digest.of(new byte[0]).hex()).isEqualTo(EMPTY_SHA256);
    assertThat(Digest.of(new ByteArrayInputStream(abc))).isEqualTo(Digest.of(abc));
  }

  @Test
  void streamAndArrayAgreeAcrossBufferBoundaries() throws IOException {
    Random r = new Random(SEED);
    List<String> mismatches = new ArrayList<>();
    for (int len : new int[] {0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 * (1 << 16) + 7}) {
      byte[] data = new byte[len];
      r.nextBytes(data);
      if (!Digest.of(new ByteArrayInputStream(data)).equals(Digest.of(data))) {
        mismatches.add("length " + len);
      }
    }
    assertThat(mismatches).isEmpty();
  }

  static Stream<Arguments> notDigests() {
    String hex = Digest.of("x".getBytes(StandardCharsets.UTF_8)).hex();
    // Make sure the uppercase case really has a letter to change.
    String withLetters = "ab" + hex.substring(2);
    return Stream.of(
        Arguments.of("uppercase", withLetters.toUpperCase(java.util.Locale.ROOT)),
        Arguments.of("one uppercase digit", "A" + withLetters.substring(1)),
        Arguments.of("uppercase prefix", "SHA256:" + hex),
        Arguments.of("short by one", hex.substring(1)),
        Arguments.of("short, prefixed", "sha256:" + hex.substring(2)),
        Arguments.of("long by one", hex + "0"),
        Arguments.of("long, prefixed", "sha256:" + hex + "00"),
        Arguments.of("empty", ""),
        Arguments.of("prefix only", "sha256:"),
        Arguments.of("other algorithm", "sha512:" + hex),
        Arguments.of("prefix twice", "sha256:sha256:" + hex),
        Arguments.of("leading space", " " + hex.substring(1)),
        Arguments.of("trailing newline", hex.substring(1) + "\n"),
        Arguments.of("non-hex letter", "g" + hex.substring(1)),
        Arguments.of("garbage", "not a digest at all, not a digest at all, not a digest at!!"),
        Arguments.of("fullwidth digit", "\uFF10" + hex.substring(1)),
        Arguments.of("base64", java.util.Base64.getEncoder().encodeToString(new byte[48])),
        Arguments.of("very long", "a".repeat(10_000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notDigests")
  void parseRejects(String what, String text) {
    assertThatThrownBy(() -> Digest.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a sha256 digest");
  }

  @Test
  void parseAbbreviatesLongInputInItsMessage() {
    assertThatThrownBy(() -> Digest.parse("a".repeat(10_000)))
        .message()
        .hasSizeLessThan(200);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 31, 33, 64})
  void ofRawRejectsWrongLength(int length) {
    assertThatThrownBy(() -> Digest.ofRaw(new byte[length]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void valueIsNotSharedWithCallers() {
    byte[] raw = new byte[32];
    Digest d = Digest.ofRaw(raw);
    raw[0] = 1;
    d.raw()[1] = 1;

    assertThat(d.raw()).containsOnly(0);
  }

  @Test
  void equalityIsByValue() {
    Digest a = Digest.of("a".getBytes(StandardCharsets.UTF_8));

    assertThat(a)
        .isEqualTo(Digest.parse(a.toString()))
        .isNotEqualTo(Digest.of("b".getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(a.toString())
        .isNotEqualTo(null);
    assertThat(a.compareTo(Digest.parse(a.hex()))).isZero();
  }

  @Test
  void compareToIsUnsignedBytewise() {
    byte[] low = new byte[32];
    byte[] high = new byte[32];
    low[0] = 0x7f;
    high[0] = (byte) 0x80; // negative as a signed byte; must still sort after 0x7f

    assertThat(Digest.ofRaw(low)).isLessThan(Digest.ofRaw(high));
    assertThat(Digest.ofRaw(high)).isGreaterThan(Digest.ofRaw(low));
  }

  @Test
  void orderAgreesWithHexTextAndEquals() {
    Random r = new Random(SEED + 1);
    List<String> violations = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      byte[] x = new byte[32];
      byte[] y = new byte[32];
      r.nextBytes(x);
      r.nextBytes(y);
      // Share a random-length prefix so later bytes decide the order too.
      System.arraycopy(x, 0, y, 0, r.nextInt(33));
      Digest a = Digest.ofRaw(x);
      Digest b = Digest.ofRaw(y);
      int byBytes = Integer.signum(a.compareTo(b));
      int byText = Integer.signum(a.hex().compareTo(b.hex()));
      if (byBytes != byText
          || byBytes != -Integer.signum(b.compareTo(a))
          || (byBytes == 0) != a.equals(b)) {
        violations.add(a + " vs " + b);
      }
    }
    assertThat(violations).isEmpty();
  }
}
