package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FieldEncryptorTest {
  private static final long SEED = 0xE4C0DEL;

  @TempDir static Path tmp;
  private static FieldEncryptor encryptor;
  private static FieldEncryptor otherKeyring;

  @BeforeAll
  static void initialise() throws Exception {
    encryptor = Keyring.initialise(tmp.resolve("keys")).fieldEncryptor();
    otherKeyring = Keyring.initialise(tmp.resolve("other")).fieldEncryptor();
  }

  /** Seeded values: ASCII, accents, non-BMP, empty, long. */
  static Stream<String> values() {
    Random r = new Random(SEED);
    return IntStream.range(0, 30).mapToObj(i -> {
      StringBuilder sb = new StringBuilder();
      int n = i == 0 ? 0 : r.nextInt(i == 29 ? 5000 : 40);
      for (int k = 0; k < n; k++) {
        sb.appendCodePoint(switch (r.nextInt(3)) {
          case 0 -> 'a' + r.nextInt(26);
          case 1 -> 0xE0 + r.nextInt(30);
          default -> 0x1F600 + r.nextInt(40);
        });
      }
      return sb.toString();
    });
  }

  @ParameterizedTest
  @MethodSource("values")
  void roundTripsAndHidesEquality(String value) throws Exception {
    String a = encryptor.encrypt("age", value);
    String b = encryptor.encrypt("age", value);
    assertThat(a).startsWith(FieldEncryptor.PREFIX).isNotEqualTo(b);
    assertThat(encryptor.decrypt("age", a)).isEqualTo(value);
    assertThat(encryptor.decrypt("age", b)).isEqualTo(value);
  }

  @Test
  void aCiphertextIsBoundToItsFieldAndKey() {
    String ct = encryptor.encrypt("age", "42");
    assertThatThrownBy(() -> encryptor.decrypt("income", ct))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> otherKeyring.decrypt("age", ct))
        .isInstanceOf(GeneralSecurityException.class);
    // A character in the middle: every one of its 6 bits is significant (the last character of
    // unpadded base64 may carry bits the decoder drops, so changing it could change nothing).
    int at = FieldEncryptor.PREFIX.length() + (ct.length() - FieldEncryptor.PREFIX.length()) / 2;
    char c = ct.charAt(at);
    String flipped = ct.substring(0, at) + (c == 'A' ? 'B' : 'A') + ct.substring(at + 1);
    assertThatThrownBy(() -> encryptor.decrypt("age", flipped))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> encryptor.decrypt("age", "42"))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> encryptor.decrypt("age", FieldEncryptor.PREFIX + "%%%"))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void theKeyIsMadeOnceEncryptedAndKeptAcrossOpens() throws Exception {
    Path dir = tmp.resolve("keys");
    String ct = encryptor.encrypt("age", "42");
    assertThat(Files.readString(dir.resolve("fields.json"))).contains("encryptedKeyset");
    assertThat(Keyring.open(dir).fieldEncryptor().decrypt("age", ct)).isEqualTo("42");
  }
}
