package dev.bastion.crypto;

import com.google.crypto.tink.DeterministicAead;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Replaces a sensitive field value with a token: AES-SIV deterministic encryption bound to the
 * field name, base64url. Equal values of the same field give equal tokens (so joins and one-hot
 * encodings still work); the value is recoverable only with the tokenisation key.
 */
public final class FieldTokenizer {
  /** Every token starts with this, so a token is never mistaken for a raw value. */
  public static final String PREFIX = "tok_";

  private final DeterministicAead daead;

  FieldTokenizer(DeterministicAead daead) {
    this.daead = daead;
  }

  /** The token of {@code value} in column {@code field}. */
  public String tokenize(String field, String value) {
    try {
      byte[] ct =
          daead.encryptDeterministically(
              value.getBytes(StandardCharsets.UTF_8), field.getBytes(StandardCharsets.UTF_8));
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(ct);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-SIV encryption does not fail on valid input", e);
    }
  }

  /**
   * The value behind a token of column {@code field}.
   *
   * @throws GeneralSecurityException if it is not a token of this key and field
   */
  public String detokenize(String field, String token) throws GeneralSecurityException {
    if (!token.startsWith(PREFIX)) {
      throw new GeneralSecurityException("not a token");
    }
    String body = token.substring(PREFIX.length());
    byte[] ct;
    try {
      ct = Base64.getUrlDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("not a token", e);
    }
    // One spelling per token: base64 ignores the unused bits of a last character, so a second
    // spelling would decode to the same ciphertext and slip past lists keyed by token.
    if (!Base64.getUrlEncoder().withoutPadding().encodeToString(ct).equals(body)) {
      throw new GeneralSecurityException("not a token");
    }
    return new String(
        daead.decryptDeterministically(ct, field.getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.UTF_8);
  }
}
