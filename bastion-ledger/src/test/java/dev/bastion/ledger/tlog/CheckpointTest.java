package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Checkpoint}: the byte-exact body of c2sp.org/tlog-checkpoint, the spec's and
 * transparency-dev's example checkpoints, seeded round trips, and every rule {@link
 * Checkpoint#parse} enforces.
 */
class CheckpointTest {
  private static final long SEED = 0xC4EC6L;
  private static final String ZERO_HASH = Base64.getEncoder().encodeToString(new byte[32]);

  // c2sp.org/tlog-checkpoint, the example in the introduction.
  private static final String C2SP_EXAMPLE =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

  // transparency-dev/trillian-tessera, internal/parse/parse_test.go ("happy checkpoint").
  private static final String TESSERA_EXAMPLE =
      "original.example.com\n42\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n";

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  /** Seeded random checkpoints, shared with {@link SignedNoteTest}. */
  static Stream<Arguments> randomCheckpoints(long seed, int count) {
    Random r = new Random(seed);
    String[] parts = {
      "a", "z", "0", ".", "/", "-", " ", "+", "\u00e9", "\u2014", "\uD83D\uDE00", "\u007f"
    };
    return IntStream.range(0, count)
        .mapToObj(
            i -> {
              long size =
                  switch (i) {
                    case 0 -> 0;
                    case 1 -> Long.MAX_VALUE;
                    case 2 -> 1;
                    default -> i % 2 == 0 ? r.nextInt(1000) : r.nextLong() & Long.MAX_VALUE;
                  };
              byte[] hash = new byte[32];
              r.nextBytes(hash);
              List<String> extensions = new ArrayList<>();
              int n = i % 4 == 3 ? 1 + r.nextInt(3) : 0;
              for (int k = 0; k < n; k++) {
                extensions.add(text(r, parts, 1 + r.nextInt(30)));
              }
              String origin = i == 4 ? "example.com/log" : text(r, parts, 1 + r.nextInt(40));
              return Arguments.of(i, new Checkpoint(origin, size, hash, extensions));
            });
  }

  private static String text(Random r, String[] parts, int n) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < n; k++) {
      b.append(parts[r.nextInt(parts.length)]);
    }
    return b.toString();
  }

  static Stream<Arguments> randomCheckpoints() {
    return randomCheckpoints(SEED, 40);
  }

  @ParameterizedTest(name = "checkpoint {0}")
  @MethodSource("randomCheckpoints")
  void parseOfBodyIsTheIdentity(int caseNo, Checkpoint c) throws Exception {
    byte[] body = c.body();

    Checkpoint back = Checkpoint.parse(body);

    assertThat(back).isEqualTo(c).hasSameHashCodeAs(c).hasToString(c.toString());
    assertThat(back.origin()).isEqualTo(c.origin());
    assertThat(back.size()).isEqualTo(c.size());
    assertThat(back.rootHash()).isEqualTo(c.rootHash());
    assertThat(back.extensions()).isEqualTo(c.extensions());
    assertThat(back.body()).isEqualTo(body);
  }

  @Test
  void bodyIsByteExact() {
    byte[] hash = new byte[32];
    Arrays.fill(hash, (byte) 0xab);
    String b64 = Base64.getEncoder().encodeToString(hash);

    assertThat(new Checkpoint("example.com/log", 42, hash).body())
        .isEqualTo(utf8("example.com/log\n42\n" + b64 + "\n"));
    assertThat(new Checkpoint("example.com/log", 0, hash, List.of("ext one", "two")).body())
        .isEqualTo(utf8("example.com/log\n0\n" + b64 + "\next one\ntwo\n"));
    assertThat(new Checkpoint("l", Long.MAX_VALUE, hash).body())
        .isEqualTo(utf8("l\n9223372036854775807\n" + b64 + "\n"));
  }

  @Test
  void specificationExampleParses() throws Exception {
    Checkpoint c = Checkpoint.parse(utf8(C2SP_EXAMPLE));

    assertThat(c.origin()).isEqualTo("example.com/behind-the-sofa");
    assertThat(c.size()).isEqualTo(20852163L);
    assertThat(c.rootHash())
        .isEqualTo(Base64.getDecoder().decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="));
    assertThat(c.extensions()).isEmpty();
    assertThat(c.body()).isEqualTo(utf8(C2SP_EXAMPLE));
  }

  @Test
  void tesseraExampleParses() throws Exception {
    Checkpoint c = Checkpoint.parse(utf8(TESSERA_EXAMPLE));

    assertThat(c)
        .isEqualTo(
            new Checkpoint(
                "original.example.com",
                42,
                Base64.getDecoder().decode("qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=")));
  }

  @Test
  void extensionLinesAreKeptInOrder() throws Exception {
    Checkpoint c = Checkpoint.parse(utf8(C2SP_EXAMPLE + "ext 2\n\u2014 not a signature\next 1\n"));

    assertThat(c.extensions()).containsExactly("ext 2", "\u2014 not a signature", "ext 1");
  }

  @Test
  void whatTheSpecificationAllowsIsAccepted() throws Exception {
    // Origins need not be URLs; DEL is not an ASCII control character below U+0020.
    for (String origin : List.of("go.sum database tree", "a+b", "\u00e9\u007f", "x")) {
      String body = origin + "\n1\n" + ZERO_HASH + "\n";
      assertThat(Checkpoint.parse(utf8(body)).body()).isEqualTo(utf8(body));
    }
  }

  static Stream<Arguments> refused() {
    String ok = "example.com/log\n42\n" + ZERO_HASH + "\n";
    String hash31 = Base64.getEncoder().encodeToString(new byte[31]);
    String hash33 = Base64.getEncoder().encodeToString(new byte[33]);
    return Stream.of(
        Arguments.of("empty", "", "does not end with a newline"),
        Arguments.of("only a newline", "\n", "1 line, not at least 3"),
        Arguments.of(
            "missing final newline",
            ok.substring(0, ok.length() - 1),
            "does not end with a newline"),
        Arguments.of("two lines", "example.com/log\n42\n", "2 lines, not at least 3"),
        Arguments.of("no origin (tessera)", "42\n" + ZERO_HASH + "\n", "2 lines, not at least 3"),
        Arguments.of("empty origin", "\n42\n" + ZERO_HASH + "\n", "line 1: origin is empty"),
        Arguments.of("empty size", "o\n\n" + ZERO_HASH + "\n", "line 2: tree size is empty"),
        Arguments.of("empty hash", "o\n42\n\n", "line 3: root hash is empty"),
        Arguments.of(
            "leading zero", "o\n042\n" + ZERO_HASH + "\n", "tree size \"042\" has a leading zero"),
        Arguments.of("double zero", "o\n00\n" + ZERO_HASH + "\n", "has a leading zero"),
        Arguments.of(
            "negative (tessera)",
            "o\n-42\n" + ZERO_HASH + "\n",
            "tree size \"-42\" is not a decimal number"),
        Arguments.of("plus sign", "o\n+42\n" + ZERO_HASH + "\n", "is not a decimal number"),
        Arguments.of("space before size", "o\n 42\n" + ZERO_HASH + "\n", "is not a decimal number"),
        Arguments.of("space after size", "o\n42 \n" + ZERO_HASH + "\n", "is not a decimal number"),
        Arguments.of("hex size", "o\n0x2a\n" + ZERO_HASH + "\n", "is not a decimal number"),
        Arguments.of(
            "Arabic-Indic digits",
            "o\n\u0664\u0662\n" + ZERO_HASH + "\n",
            "is not a decimal number"),
        Arguments.of(
            "size 2^63",
            "o\n9223372036854775808\n" + ZERO_HASH + "\n",
            "is larger than 9223372036854775807"),
        Arguments.of(
            "size of 40 digits",
            "o\n" + "9".repeat(40) + "\n" + ZERO_HASH + "\n",
            "is larger than"),
        Arguments.of(
            "bad hash (tessera)", "o\n42\nthisisnotright\n", "is not standard padded base64"),
        Arguments.of(
            "hash of 31 bytes", "o\n42\n" + hash31 + "\n", "root hash has 31 bytes, not 32"),
        Arguments.of(
            "hash of 33 bytes", "o\n42\n" + hash33 + "\n", "root hash has 33 bytes, not 32"),
        Arguments.of(
            "hash unpadded",
            "o\n42\n" + ZERO_HASH.replace("=", "") + "\n",
            "not standard padded base64"),
        Arguments.of(
            "hash with non-zero padding bits",
            "o\n42\n" + ZERO_HASH.replace("A=", "B=") + "\n",
            "not standard padded base64"),
        Arguments.of(
            "hash base64url", "o\n42\n" + "_".repeat(43) + "=\n", "not standard padded base64"),
        Arguments.of(
            "hash with a space", "o\n42\n " + ZERO_HASH + "\n", "not standard padded base64"),
        Arguments.of("hash in hex", "o\n42\n" + "00".repeat(32) + "\n", "root hash has 48 bytes"),
        Arguments.of("empty extension line", ok + "\next\n", "line 4: extension line is empty"),
        Arguments.of("trailing blank line", ok + "\n", "line 4: extension line is empty"),
        Arguments.of("CRLF", ok.replace("\n", "\r\n"), "line 1: control character 0x0d"),
        Arguments.of(
            "tab in origin",
            "example.com\tlog\n42\n" + ZERO_HASH + "\n",
            "line 1: control character 0x09"),
        Arguments.of("NUL in extension", ok + "a\u0000b\n", "line 4: control character 0x00"),
        Arguments.of("escape", ok + "\u001b[31m\n", "control character 0x1b"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void parseRefusesWithAClearMessage(String what, String body, String message) {
    assertThatThrownBy(() -> Checkpoint.parse(utf8(body)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("checkpoint: ")
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  static Stream<Arguments> notUtf8() {
    return Stream.of(
        Arguments.of("0xff", new byte[] {(byte) 0xff}),
        Arguments.of("Latin-1 e acute", new byte[] {(byte) 0xe9}),
        Arguments.of("overlong slash", new byte[] {(byte) 0xc0, (byte) 0xaf}),
        Arguments.of(
            "UTF-16 surrogate (CESU-8)", new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0xbd}),
        Arguments.of(
            "above U+10FFFF", new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}),
        Arguments.of("truncated sequence", new byte[] {(byte) 0xe2, (byte) 0x80}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notUtf8")
  void parseRefusesWhatIsNotUtf8(String what, byte[] bad) {
    byte[] prefix = utf8("example.com/");
    byte[] suffix = utf8("\n1\n" + ZERO_HASH + "\n");
    byte[] body = new byte[prefix.length + bad.length + suffix.length];
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    System.arraycopy(bad, 0, body, prefix.length, bad.length);
    System.arraycopy(suffix, 0, body, prefix.length + bad.length, suffix.length);

    assertThatThrownBy(() -> Checkpoint.parse(body))
        .isInstanceOf(BadInputException.class)
        .hasMessage("checkpoint: line 1: not valid UTF-8");
  }

  @Test
  void sizeLimitIsSixtyFourKibibytes() throws Exception {
    String head = "o\n1\n" + ZERO_HASH + "\n";
    String exact = head + "x".repeat(Checkpoint.MAX_BYTES - head.length() - 1) + "\n";
    String over = head + "x".repeat(Checkpoint.MAX_BYTES - head.length()) + "\n";

    assertThat(Checkpoint.parse(utf8(exact)).body()).hasSize(Checkpoint.MAX_BYTES);
    assertThatThrownBy(() -> Checkpoint.parse(utf8(over)))
        .isInstanceOf(BadInputException.class)
        .hasMessage("checkpoint: 65537 bytes, more than the limit of 65536");
    assertThatThrownBy(
            () -> new Checkpoint("o", 1, new byte[32], List.of("x".repeat(Checkpoint.MAX_BYTES))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the limit of 65536");
  }

  static Stream<Arguments> invalidFields() {
    byte[] h = new byte[32];
    return Stream.of(
        Arguments.of("empty origin", (Runnable) () -> new Checkpoint("", 1, h)),
        Arguments.of("newline in origin", (Runnable) () -> new Checkpoint("a\nb", 1, h)),
        Arguments.of("CR in origin", (Runnable) () -> new Checkpoint("a\r", 1, h)),
        Arguments.of(
            "unpaired surrogate in origin", (Runnable) () -> new Checkpoint("a\uD800", 1, h)),
        Arguments.of("lone low surrogate", (Runnable) () -> new Checkpoint("\uDC00a", 1, h)),
        Arguments.of("negative size", (Runnable) () -> new Checkpoint("o", -1, h)),
        Arguments.of("short hash", (Runnable) () -> new Checkpoint("o", 1, new byte[31])),
        Arguments.of("empty extension", (Runnable) () -> new Checkpoint("o", 1, h, List.of(""))),
        Arguments.of(
            "newline in extension", (Runnable) () -> new Checkpoint("o", 1, h, List.of("a\nb"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFields")
  void constructorRefusesInvalidFields(String what, Runnable construct) {
    assertThatThrownBy(construct::run).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rootHashIsCopiedInAndOut() {
    byte[] hash = new byte[32];
    Checkpoint c = new Checkpoint("o", 1, hash);
    hash[0] = 1;
    c.rootHash()[1] = 1;

    assertThat(c.rootHash()).isEqualTo(new byte[32]);
  }

  @Test
  void equalityComparesTheHashByContent() {
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[31] = 1;

    assertThat(new Checkpoint("o", 1, a)).isEqualTo(new Checkpoint("o", 1, a.clone()));
    assertThat(new Checkpoint("o", 1, a)).isNotEqualTo(new Checkpoint("o", 1, b));
    assertThat(new Checkpoint("o", 1, a)).isNotEqualTo(new Checkpoint("o", 2, a));
    assertThat(new Checkpoint("o", 1, a)).isNotEqualTo(new Checkpoint("p", 1, a));
    assertThat(new Checkpoint("o", 1, a)).isNotEqualTo(new Checkpoint("o", 1, a, List.of("e")));
    assertThat(new Checkpoint("o", 1, a))
        .hasToString("Checkpoint[origin=o, size=1, rootHash=" + ZERO_HASH + ", extensions=[]]");
  }
}
