package dev.bastion.crypto;

import static dev.bastion.crypto.CryptoFixtures.bytes;
import static dev.bastion.crypto.CryptoFixtures.flip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ArtifactAeadTest {
  private static final long SEED = 0xAEADL;
  private static final byte[] AD = "artifact:sha256:0123".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path tmp;
  private static Keyring keyring;
  private static Aead aead;

  @BeforeAll
  static void initialise() throws Exception {
    keyring = Keyring.initialise(tmp.resolve("keys"));
    aead = keyring.artifactAead();
  }

  static Stream<Arguments> plaintexts() {
    Random r = new Random(SEED);
    return Stream.of(0, 1, 15, 16, 17, 1000, (1 << 16) + 3)
        .map(n -> Arguments.of(n, bytes(r, n), bytes(r, r.nextInt(3) * 16)));
  }

  @ParameterizedTest(name = "{0} bytes")
  @MethodSource("plaintexts")
  void decryptOfEncryptIsTheIdentity(int length, byte[] plaintext, byte[] ad) throws Exception {
    byte[] ct = aead.encrypt(plaintext, ad);

    assertThat(aead.decrypt(ct, ad)).isEqualTo(plaintext);
    assertThat(ct.length).isGreaterThan(plaintext.length);
  }

  @Test
  void eachEncryptionUsesAFreshDataKey() throws Exception {
    byte[] pt = "the same model weights".getBytes(StandardCharsets.UTF_8);

    byte[] a = aead.encrypt(pt, AD);
    byte[] b = aead.encrypt(pt, AD);

    assertThat(a).isNotEqualTo(b);
    // Envelope format: 4-byte length of the wrapped data key, the wrapped key, the ciphertext.
    assertThat(wrappedKey(a)).isNotEqualTo(wrappedKey(b));
    assertThat(aead.decrypt(a, AD)).isEqualTo(pt);
    assertThat(aead.decrypt(b, AD)).isEqualTo(pt);
  }

  private static byte[] wrappedKey(byte[] ct) {
    int n = ByteBuffer.wrap(ct).getInt();
    return Arrays.copyOfRange(ct, 4, 4 + n);
  }

  @Test
  void everySingleByteFlipIsRejected() throws Exception {
    byte[] pt = bytes(new Random(SEED), 100);
    byte[] ct = aead.encrypt(pt, AD);

    List<String> accepted = new ArrayList<>();
    for (int pos = 0; pos < ct.length; pos++) {
      for (int mask : new int[] {0x01, 0x80}) {
        String outcome = tryDecrypt(flip(ct, pos, mask), AD);
        if (outcome != null) {
          accepted.add("byte " + pos + " ^ " + mask + ": " + outcome);
        }
      }
    }
    assertThat(accepted).isEmpty();
  }

  @Test
  void truncatedOrExtendedCiphertextIsRejected() throws Exception {
    byte[] ct = aead.encrypt(bytes(new Random(SEED + 1), 64), AD);

    List<String> accepted = new ArrayList<>();
    for (int len = 0; len < ct.length; len++) {
      String outcome = tryDecrypt(Arrays.copyOf(ct, len), AD);
      if (outcome != null) {
        accepted.add("truncated to " + len + ": " + outcome);
      }
    }
    String extended = tryDecrypt(Arrays.copyOf(ct, ct.length + 1), AD);
    if (extended != null) {
      accepted.add("extended: " + extended);
    }
    assertThat(accepted).isEmpty();
  }

  /** Null when decryption failed as it must (GeneralSecurityException); else what happened. */
  private static String tryDecrypt(byte[] ct, byte[] ad) {
    try {
      aead.decrypt(ct, ad);
      return "decrypted";
    } catch (GeneralSecurityException e) {
      return null;
    } catch (RuntimeException e) {
      return "threw " + e;
    }
  }

  static Stream<Arguments> wrongAssociatedData() {
    return Stream.of(
        Arguments.of("empty", new byte[0]),
        Arguments.of("one byte flipped", flip(AD, AD.length - 1)),
        Arguments.of("one byte longer", Arrays.copyOf(AD, AD.length + 1)),
        Arguments.of("one byte shorter", Arrays.copyOf(AD, AD.length - 1)),
        Arguments.of("another artifact", "artifact:sha256:0124".getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongAssociatedData")
  void wrongAssociatedDataIsRejected(String what, byte[] ad) throws Exception {
    byte[] ct = aead.encrypt("x".getBytes(StandardCharsets.UTF_8), AD);

    assertThatThrownBy(() -> aead.decrypt(ct, ad)).isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void anotherKeyringCannotDecrypt(@TempDir Path other) throws Exception {
    byte[] ct = aead.encrypt("secret".getBytes(StandardCharsets.UTF_8), AD);
    Aead foreign = Keyring.initialise(other).artifactAead();

    assertThatThrownBy(() -> foreign.decrypt(ct, AD)).isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void theKeySurvivesReopening() throws Exception {
    byte[] pt = "persisted".getBytes(StandardCharsets.UTF_8);
    byte[] ct = aead.encrypt(pt, AD);

    assertThat(Keyring.open(tmp.resolve("keys")).artifactAead().decrypt(ct, AD)).isEqualTo(pt);
  }
}
