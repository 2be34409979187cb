package dev.bastion.attest.modelsign;

import dev.bastion.core.BadInputException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a verifier trusts, which also fixes the signing method a bundle must use: a public key for
 * the key method, or CA certificates for the certificate method. A bundle made with the other
 * method (or with Sigstore keyless signing) does not verify.
 */
public sealed interface TrustRoot permits TrustRoot.Key, TrustRoot.Certificates {

  /**
   * The key method: signatures by this key.
   *
   * @param publicKey an EC public key on P-256, P-384 or P-521
   */
  record Key(PublicKey publicKey) implements TrustRoot {
    public Key {
      Objects.requireNonNull(publicKey);
    }
  }

  /**
   * The certificate method: signing certificates whose chain leads to one of these anchors.
   * Every certificate given is trusted as an anchor, as a CA file is.
   *
   * @param anchors one or more trusted certificates
   */
  record Certificates(List<X509Certificate> anchors) implements TrustRoot {
    public Certificates {
      anchors = List.copyOf(anchors);
      if (anchors.isEmpty()) {
        throw new IllegalArgumentException("at least one trusted certificate");
      }
    }
  }

  /**
   * A public key from PEM (or DER) bytes.
   *
   * @throws BadInputException if it is not an EC key on a supported curve
   */
  static TrustRoot publicKeyPem(byte[] pem, String where) throws BadInputException {
    PublicKey key = Keys.readPublicKey(pem, where);
    if (Keys.Curve.of(key) == null) {
      throw new BadInputException(where + ": not an EC key on P-256, P-384 or P-521");
    }
    return new Key(key);
  }

  /**
   * Trusted certificates from PEM files, each holding one or more certificates.
   *
   * @throws BadInputException if a file holds no certificate
   */
  static TrustRoot certificatePems(List<byte[]> pems) throws BadInputException {
    List<X509Certificate> all = new ArrayList<>();
    int i = 0;
    for (byte[] pem : pems) {
      all.addAll(Keys.readCertificates(pem, "trusted certificate file " + (++i)));
    }
    if (all.isEmpty()) {
      throw new BadInputException("no trusted certificate given");
    }
    return new Certificates(all);
  }
}
