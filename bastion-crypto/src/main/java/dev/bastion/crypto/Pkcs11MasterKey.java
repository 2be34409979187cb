package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The master key held in a PKCS#11 token (an HSM; SoftHSM2 in tests): an AES-256 key generated
 * inside the token, never extractable, used through the JDK's SunPKCS11 provider with
 * AES/GCM/NoPadding. Selected by {@code BASTION_PKCS11_CONFIG} (a SunPKCS11 configuration file
 * naming the library and slot), with the PIN in {@code BASTION_PKCS11_PIN} and the key's label in
 * {@code BASTION_PKCS11_KEY} (default {@code bastion-master}); system properties {@code
 * bastion.pkcs11.config}, {@code bastion.pkcs11.pin} and {@code bastion.pkcs11.key} override them.
 *
 * <p>Ciphertext: a version byte, the 12-byte nonce, then the GCM ciphertext and tag.
 */
final class Pkcs11MasterKey implements Aead {
  private static final byte VERSION = 1;
  private static final int NONCE = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Provider provider;
  private final Key key;

  private Pkcs11MasterKey(Provider provider, Key key) {
    this.provider = provider;
    this.key = key;
  }

  private static String setting(String property, String env) {
    String v = System.getProperty(property, System.getenv(env));
    return v == null || v.isBlank() ? null : v;
  }

  /** Whether a token is configured. */
  static boolean configured() {
    return setting("bastion.pkcs11.config", "BASTION_PKCS11_CONFIG") != null;
  }

  /**
   * Opens the configured token and its master key; creates the key (inside the token) when
   * {@code create} is set and the token has none under that label.
   *
   * @return the key, or empty when no token is configured
   */
  static Optional<Pkcs11MasterKey> open(boolean create, java.util.List<String> created)
      throws BadInputException, VerificationException {
    String config = setting("bastion.pkcs11.config", "BASTION_PKCS11_CONFIG");
    if (config == null) {
      return Optional.empty();
    }
    String pin = setting("bastion.pkcs11.pin", "BASTION_PKCS11_PIN");
    String label = Optional.ofNullable(setting("bastion.pkcs11.key", "BASTION_PKCS11_KEY"))
        .orElse("bastion-master");
    if (!Files.isRegularFile(Path.of(config))) {
      throw new BadInputException(config + ": no such PKCS#11 configuration file");
    }
    if (pin == null) {
      throw new BadInputException("BASTION_PKCS11_PIN is not set: the token's user PIN is needed");
    }
    Provider base = Security.getProvider("SunPKCS11");
    if (base == null) {
      throw new BadInputException("this JDK has no SunPKCS11 provider");
    }
    Provider p;
    try {
      p = base.configure(config);
    } catch (java.security.InvalidParameterException | java.security.ProviderException e) {
      Throwable why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause() : e;
      throw new BadInputException(config + ": not a PKCS#11 configuration the SunPKCS11 provider"
          + " accepts (" + dev.bastion.core.Text.clip(String.valueOf(why.getMessage())) + ")");
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS11", p);
      ks.load(null, pin.toCharArray());
      Key k = ks.getKey(label, null);
      if (k == null) {
        if (!create) {
          throw new BadInputException("the PKCS#11 token holds no key labelled '" + label
              + "' (BASTION_PKCS11_KEY, default bastion-master): check the label, the token and"
              + " " + config);
        }
        KeyGenerator g = KeyGenerator.getInstance("AES", p);
        g.init(256);
        SecretKey fresh = g.generateKey();
        ks.setKeyEntry(label, fresh, null, null); // stored as a token object
        k = ks.getKey(label, null);
        created.add("master key (PKCS#11 token, key '" + label + "', not extractable)");
      }
      return Optional.of(new Pkcs11MasterKey(p, k));
    } catch (IOException | GeneralSecurityException | java.security.ProviderException e) {
      throw new VerificationException(
          "PKCS#11 token (" + config + "): cannot open the master key: " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    c.updateAAD(associatedData == null ? new byte[0] : associatedData);
    byte[] ct = c.doFinal(plaintext);
    return ByteBuffer.allocate(1 + NONCE + ct.length).put(VERSION).put(nonce).put(ct).array();
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData)
      throws GeneralSecurityException {
    if (ciphertext.length < 1 + NONCE + 16 || ciphertext[0] != VERSION) {
      throw new GeneralSecurityException("not a ciphertext of this master key");
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
    c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, ciphertext, 1, NONCE));
    c.updateAAD(associatedData == null ? new byte[0] : associatedData);
    return c.doFinal(ciphertext, 1 + NONCE, ciphertext.length - 1 - NONCE);
  }
}
