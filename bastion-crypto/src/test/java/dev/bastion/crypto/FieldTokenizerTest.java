package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FieldTokenizerTest {
  private static final long SEED = 0x70CE11L;
  private static final List<String> FIELDS = List.of("email", "ssn", "name", "", "e-mail");

  @TempDir static Path tmp;
  private static FieldTokenizer tokenizer;
  private static FieldTokenizer otherKeyring;

  @BeforeAll
  static void initialise() throws Exception {
    tokenizer = Keyring.initialise(tmp.resolve("keys")).tokenizer();
    otherKeyring = Keyring.initialise(tmp.resolve("other")).tokenizer();
  }

  /** Seeded values: ASCII, accents, non-BMP, empty, long. */
  static Stream<Arguments> values() {
    Random r = new Random(SEED);
    return IntStream.range(0, 40)
        .mapToObj(
            i -> {
              StringBuilder b = new StringBuilder();
              int len = i == 0 ? 0 : i == 1 ? 5000 : r.nextInt(40);
              for (int k = 0; k < len; k++) {
                b.appendCodePoint(
                    switch (r.nextInt(3)) {
                      case 0 -> r.nextInt(0x20, 0x7f);
                      case 1 -> r.nextInt(0xa0, 0xd800);
                      default -> r.nextInt(0x10000, 0x110000);
                    });
              }
              return Arguments.of(i, b.toString());
            });
  }

  @ParameterizedTest(name = "value {0}")
  @MethodSource("values")
  void tokensAreDeterministicPerFieldAndReversible(int caseNo, String value) throws Exception {
    List<String> tokens = new ArrayList<>();
    for (String field : FIELDS) {
      String token = tokenizer.tokenize(field, value);
      assertThat(token).startsWith(FieldTokenizer.PREFIX).matches("tok_[A-Za-z0-9_-]+");
      assertThat(tokenizer.tokenize(field, value)).isEqualTo(token);
      assertThat(tokenizer.detokenize(field, token)).isEqualTo(value);
      tokens.add(token);
    }

    assertThat(tokens).doesNotHaveDuplicates();
  }

  @Test
  void differentValuesGiveDifferentTokens() {
    Random r = new Random(SEED + 1);
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      tokens.add(tokenizer.tokenize("email", "user" + i + "@example.com"));
    }
    tokens.add(tokenizer.tokenize("email", "user0@example.com "));
    tokens.add(tokenizer.tokenize("email", "User0@example.com"));
    tokens.add(tokenizer.tokenize("email", Long.toString(r.nextLong())));

    assertThat(tokens).doesNotHaveDuplicates();
  }

  @Test
  void tokensSurviveReopeningTheKeyring() throws Exception {
    FieldTokenizer reopened = Keyring.open(tmp.resolve("keys")).tokenizer();

    assertThat(reopened.tokenize("email", "a@b.c")).isEqualTo(tokenizer.tokenize("email", "a@b.c"));
  }

  @Test
  void anotherKeyringGivesOtherTokens() {
    assertThat(otherKeyring.tokenize("email", "a@b.c"))
        .isNotEqualTo(tokenizer.tokenize("email", "a@b.c"));
  }

  static Stream<Arguments> notTokens() {
    String good = tokenizer.tokenize("email", "alice@example.com");
    String body = good.substring(FieldTokenizer.PREFIX.length());
    int mid = body.length() / 2;
    char c = body.charAt(mid);
    String changedMiddle =
        FieldTokenizer.PREFIX + body.substring(0, mid) + (c == 'A' ? 'B' : 'A')
            + body.substring(mid + 1);
    Random r = new Random(SEED);
    byte[] random = new byte[33];
    r.nextBytes(random);
    return Stream.of(
        Arguments.of("empty", ""),
        Arguments.of("prefix only", FieldTokenizer.PREFIX),
        Arguments.of("no prefix", body),
        Arguments.of("uppercase prefix", "TOK_" + body),
        Arguments.of("raw value", "alice@example.com"),
        Arguments.of("not base64url", "tok_!!!!"),
        Arguments.of("standard base64 alphabet", "tok_+/+/+/+/+/+/+/+/+/+/+/+/"),
        Arguments.of("impossible base64 length", "tok_AAAAA"),
        Arguments.of("too short for AES-SIV", "tok_" + Base64.getUrlEncoder().encodeToString(new byte[15])),
        Arguments.of("random bytes", "tok_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random)),
        Arguments.of("one char changed", changedMiddle),
        Arguments.of("truncated", good.substring(0, good.length() - 4)),
        Arguments.of("another field's token", tokenizer.tokenize("ssn", "alice@example.com")),
        Arguments.of("another keyring's token", otherKeyring.tokenize("email", "alice@example.com")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notTokens")
  void detokenizeRejects(String what, String token) {
    assertThatThrownBy(() -> tokenizer.detokenize("email", token))
        .isInstanceOf(GeneralSecurityException.class);
  }

  /**
   * A value has exactly one token. When the ciphertext length is not a multiple of 3, the last
   * base64url character carries unused low bits that java.util.Base64 ignores, so "..Q" and "..R"
   * decode to the same bytes; only the spelling tokenize() produces is accepted.
   */
  @Test
  void detokenizeAcceptsOnlyTheCanonicalSpelling() throws Exception {
    String token = tokenizer.tokenize("email", "a"); // 17-byte AES-SIV ciphertext: 2 spare bits
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = token.charAt(token.length() - 1);
    String twin = token.substring(0, token.length() - 1) + alphabet.charAt(alphabet.indexOf(last) ^ 1);

    assertThat(twin).isNotEqualTo(token);
    assertThatThrownBy(() -> tokenizer.detokenize("email", twin))
        .isInstanceOf(GeneralSecurityException.class);
  }
}
