package dev.bastion.attest.modelsign;

import dev.bastion.core.VerificationException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates a bundle's certificate chain against trusted anchors with PKIX.
 *
 * <p>Revocation is not checked (no CRL or OCSP is reachable offline). Validity is checked at one
 * instant, by default now: without a trusted timestamp (a transparency log or an RFC 3161
 * authority), a bundle says nothing trustworthy about when it was signed, so a certificate that
 * has expired (or is not yet valid) is refused. The reference implementation instead checks at the
 * signing certificate's own notBefore, which accepts expired certificates; the OMS conformance
 * suite requires the refusal.
 */
final class Chains {
  /** {@code id-kp-codeSigning}. */
  static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

  private Chains() {}

  /**
   * The signing certificate, once its chain is valid at {@code at} up to one of {@code anchors}
   * and it may sign (digitalSignature key usage, or the code-signing extended key usage).
   *
   * @throws VerificationException otherwise
   */
  static X509Certificate validate(
      List<X509Certificate> bundleCerts, List<X509Certificate> anchors, Instant at)
      throws VerificationException {
    X509Certificate leaf = bundleCerts.get(0);
    List<X509Certificate> path = new ArrayList<>();
    path.add(leaf);
    if (!anchors.contains(leaf)) {
      // Order the bundle's other certificates into a path from the leaf up to an anchor; the
      // bundle lists them leaf first, but nothing forces producers to order the rest.
      List<X509Certificate> pool = new ArrayList<>(bundleCerts.subList(1, bundleCerts.size()));
      pool.removeIf(anchors::contains);
      while (!issuedByAnchor(path.getLast(), anchors)) {
        X509Certificate next = issuerIn(path.getLast(), pool);
        if (next == null) {
          break;
        }
        path.add(next);
        pool.remove(next);
      }
      try {
        CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
        Set<TrustAnchor> ta = new HashSet<>();
        anchors.forEach(a -> ta.add(new TrustAnchor(a, null)));
        PKIXParameters params = new PKIXParameters(ta);
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(cp, params);
      } catch (CertPathValidatorException e) {
        throw new VerificationException(
            "the signing certificate " + subject(leaf) + " does not chain to a trusted certificate: "
                + e.getMessage(),
            e);
      } catch (GeneralSecurityException e) {
        throw new VerificationException("the certificate chain cannot be checked: " + e, e);
      }
    } else {
      // The signing certificate is itself trusted: only its validity period is left to check.
      try {
        leaf.checkValidity(Date.from(at));
      } catch (GeneralSecurityException e) {
        throw new VerificationException(
            "the signing certificate " + subject(leaf) + " is not valid at " + at, e);
      }
    }
    checkMaySign(leaf);
    return leaf;
  }

  /** Refuses a certificate that may not sign code: no digitalSignature, no code signing. */
  static void checkMaySign(X509Certificate leaf) throws VerificationException {
    boolean[] ku = leaf.getKeyUsage();
    if (ku != null && ku.length > 0 && ku[0]) {
      return;
    }
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku != null && eku.contains(CODE_SIGNING)) {
        return;
      }
    } catch (java.security.cert.CertificateParsingException e) {
      throw new VerificationException("the signing certificate's extended key usage is malformed", e);
    }
    throw new VerificationException(
        "the signing certificate " + subject(leaf)
            + " may not sign: it has neither the digitalSignature key usage nor code signing");
  }

  private static boolean issuedByAnchor(X509Certificate c, List<X509Certificate> anchors) {
    for (X509Certificate a : anchors) {
      if (a.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && signedBy(c, a)) {
        return true;
      }
    }
    return false;
  }

  private static X509Certificate issuerIn(X509Certificate c, List<X509Certificate> pool) {
    for (X509Certificate p : pool) {
      if (p.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && signedBy(c, p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean signedBy(X509Certificate c, X509Certificate issuer) {
    try {
      c.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static String subject(X509Certificate c) {
    return "'" + c.getSubjectX500Principal().getName() + "'";
  }
}
