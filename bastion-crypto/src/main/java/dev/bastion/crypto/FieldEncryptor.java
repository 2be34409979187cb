package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Replaces a sensitive field value with a ciphertext: AES-256-GCM with a random nonce, bound to
 * the field name, base64url. Unlike a token, equal values give different ciphertexts, so nothing
 * about the value (not even equality) shows; the value is recoverable only with the field key.
 */
public final class FieldEncryptor {
  /** Every ciphertext starts with this, so it is never mistaken for a raw value or a token. */
  public static final String PREFIX = "enc_";

  private final Aead aead;

  FieldEncryptor(Aead aead) {
    this.aead = aead;
  }

  /** A fresh ciphertext of {@code value} in column {@code field}. */
  public String encrypt(String field, String value) {
    try {
      byte[] ct =
          aead.encrypt(
              value.getBytes(StandardCharsets.UTF_8), field.getBytes(StandardCharsets.UTF_8));
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(ct);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption does not fail on valid input", e);
    }
  }

  /**
   * The value behind a ciphertext of column {@code field}.
   *
   * @throws GeneralSecurityException if it is not a ciphertext of this key and field
   */
  public String decrypt(String field, String ciphertext) throws GeneralSecurityException {
    if (!ciphertext.startsWith(PREFIX)) {
      throw new GeneralSecurityException("not a field ciphertext");
    }
    byte[] ct;
    try {
      ct = Base64.getUrlDecoder().decode(ciphertext.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("not a field ciphertext", e);
    }
    return new String(aead.decrypt(ct, field.getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.UTF_8);
  }
}
