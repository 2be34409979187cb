package dev.bastion.crypto;

import dev.bastion.core.VerificationException;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a verifier trusts: the deployment's CA and the identities it issued. Checks that a signature
 * was made by a certificate the CA issued, that the certificate is valid now, and that its holder is
 * the one expected.
 */
public final class Trust {
  private final X509Certificate ca;
  private final Map<String, Identity> byKeyId;

  Trust(X509Certificate ca, Map<String, Identity> byKeyId) {
    this.ca = ca;
    this.byKeyId = Map.copyOf(byKeyId);
  }

  /**
   * Trust built from files rather than a key directory: a trust root given by the verifier and
   * identity certificates that came with the evidence. Every identity certificate must have been
   * issued by {@code ca} and be valid now; one that is not is refused, never skipped, so evidence
   * carrying a foreign certificate does not verify.
   *
   * @param ca the trust root: a CA certificate, valid now
   * @param identities certificates issued by {@code ca}
   * @throws VerificationException if {@code ca} is not a valid CA certificate, if it did not issue
   *     one of {@code identities}, or if two certificates hold the same key under different names
   */
  public static Trust of(X509Certificate ca, Collection<X509Certificate> identities)
      throws VerificationException {
    String root = ca.getSubjectX500Principal().getName();
    if (ca.getBasicConstraints() < 0) {
      throw new VerificationException("trust root " + root + " is not a CA certificate");
    }
    try {
      ca.checkValidity(Date.from(Instant.now()));
    } catch (GeneralSecurityException e) {
      throw new VerificationException("trust root " + root + " is not valid now: "
          + e.getMessage(), e);
    }
    Trust issuer = new Trust(ca, Map.of());
    Map<String, Identity> byKeyId = new HashMap<>();
    for (X509Certificate cert : identities) {
      String subject = cert.getSubjectX500Principal().getName();
      if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
        throw new VerificationException("certificate " + subject
            + " was not issued by the trust root " + root + " (its issuer is "
            + cert.getIssuerX500Principal().getName() + ")");
      }
      try {
        cert.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new VerificationException("certificate " + subject
            + " was not issued by the trust root " + root + ": its signature does not verify", e);
      }
      issuer.checkIssued(cert);
      Identity id = Identity.of(cert);
      Identity other = byKeyId.putIfAbsent(id.keyId(), id);
      if (other != null && !other.name().equals(id.name())) {
        throw new VerificationException("certificates " + other.subject() + " and " + subject
            + " hold the same key");
      }
    }
    return new Trust(ca, byKeyId);
  }

  public X509Certificate ca() {
    return ca;
  }

  /** The identity holding the key with this ID, if the CA issued one. */
  public Optional<Identity> identity(String keyId) {
    return Optional.ofNullable(byKeyId.get(keyId));
  }

  /**
   * Verifies {@code signature} over {@code data} by the key {@code keyId}, which must belong to the
   * identity named {@code expectedSigner}.
   *
   * @return the signer
   * @throws VerificationException if any of this does not hold
   */
  public Identity verify(String keyId, byte[] data, byte[] signature, String expectedSigner)
      throws VerificationException {
    Identity id = byKeyId.get(keyId);
    if (id == null) {
      throw new VerificationException("signature by unknown key " + keyId);
    }
    if (!id.name().equals(expectedSigner)) {
      throw new VerificationException(
          "signed by '" + id.name() + "' but only '" + expectedSigner + "' may sign this");
    }
    checkIssued(id.certificate());
    try {
      Signature s = Signature.getInstance(Signer.ALGORITHM);
      s.initVerify(id.certificate().getPublicKey());
      s.update(data);
      if (!s.verify(signature)) {
        throw new VerificationException("signature by '" + id.name() + "' does not verify");
      }
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          "signature by '" + id.name() + "' does not verify: " + e.getMessage(), e);
    }
    return id;
  }

  /** Checks that the CA issued {@code cert} and that it is valid now. */
  public void checkIssued(X509Certificate cert) throws VerificationException {
    try {
      cert.verify(ca.getPublicKey());
      cert.checkValidity(Date.from(Instant.now()));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          "certificate " + cert.getSubjectX500Principal().getName() + " is not valid: "
              + e.getMessage(),
          e);
    }
  }
}
