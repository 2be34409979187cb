package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Fuzzes the tlog parsers: {@link Checkpoint#parse}, {@link NoteVerifier#parse} and {@link
 * NoteVerifier#verify} / {@link NoteVerifier#verifyCosignature}. Any input is either accepted, and
 * then exactly what the writer would produce, or refused with {@link BadInputException} or {@link
 * VerificationException}; no other exception may escape. A plain {@code mvn test} replays the
 * inputs under {@code
 * src/test/resources/dev/bastion/ledger/tlog/SignedNoteFuzzTestInputs/<method>/}; set {@code
 * JAZZER_FUZZ=1} and select one method to fuzz for real. Keep every crash found there.
 */
class SignedNoteFuzzTest {
  /** The key of the seed inputs: Ed25519 seed 01 02 ... 20, named example.com/log. */
  static final NoteSigner KEY = key();

  private static NoteSigner key() {
    byte[] seed = new byte[32];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = (byte) (i + 1);
    }
    try {
      return NoteSigner.fromPrivateKey("example.com/log", SignedNoteTest.pkcs8(seed));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** A checkpoint body is accepted only if it is byte for byte the body of what it parses to. */
  @FuzzTest(maxDuration = "2m")
  void checkpointParse(byte[] bytes) {
    Checkpoint c;
    try {
      c = Checkpoint.parse(bytes);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("checkpoint: ").doesNotContain("\n");
      return;
    }
    assertThat(c.body()).isEqualTo(bytes);
    assertThat(bytes.length).isLessThanOrEqualTo(Checkpoint.MAX_BYTES);
  }

  /**
   * A note verified by the seed key holds, as a line, exactly the signature the key makes over the
   * text it returns (Ed25519 is deterministic); a cosignature it verifies has a time of at least 0.
   */
  @FuzzTest(maxDuration = "2m")
  void noteVerify(byte[] bytes) {
    try {
      byte[] text = KEY.verifier().verify(bytes);
      assertThat(Arrays.copyOf(bytes, text.length)).isEqualTo(text);
      assertThat(bytes[text.length]).as("blank line after the text").isEqualTo((byte) '\n');
      // sign refuses no text verify accepts (a cosignature/v1 message is refused by both).
      byte[] signed = KEY.sign(text);
      String line = new String(signed, text.length + 1, signed.length - text.length - 1, UTF_8);
      assertThat(new String(bytes, UTF_8)).contains("\n" + line);
    } catch (BadInputException | VerificationException e) {
      assertThat(e.getMessage()).startsWith("signed note: ").doesNotContain("\n");
    }
    try {
      assertThat(KEY.cosignerVerifier().verifyCosignature(bytes)).isNotNegative();
    } catch (BadInputException | VerificationException e) {
      assertThat(e.getMessage()).startsWith("signed note: ").doesNotContain("\n");
    }
  }

  /** A verifier key (the input as UTF-8) is refused or parses to a verifier that names it back. */
  @FuzzTest(maxDuration = "2m")
  void verifierKeyParse(byte[] bytes) {
    String key = new String(bytes, UTF_8);
    NoteVerifier v;
    try {
      v = NoteVerifier.parse(key);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("verifier key").doesNotContain("\n");
      return;
    }
    assertThat(key).startsWith(v + "+");
  }
}
