package dev.bastion.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The deployment's own certificate authority. It issues EC P-256 certificates to components and
 * clients; the CN names the holder and the OU its role.
 */
final class LocalCa {
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration LEAF_VALIDITY = Duration.ofDays(397);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a certificate is for. */
  enum Usage {
    /** Signs attestations, decisions and checkpoints. */
    SIGNING,
    /** A TLS server on loopback (and signing). */
    TLS_SERVER,
    /** A TLS client. */
    TLS_CLIENT
  }

  private final PrivateKey caKey;
  private final X509Certificate caCert;

  LocalCa(PrivateKey caKey, X509Certificate caCert) {
    this.caKey = caKey;
    this.caCert = caCert;
  }

  byte[] privateKeyDer() {
    return caKey.getEncoded();
  }

  X509Certificate certificate() {
    return caCert;
  }

  static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  /** A new self-signed CA. */
  static LocalCa create(String deployment) throws GeneralSecurityException {
    KeyPair kp = newKeyPair();
    X500Name name = name("Bastion CA " + deployment, "ca");
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  name,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(CA_VALIDITY)),
                  name,
                  kp.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new LocalCa(kp.getPrivate(), sign(b, kp.getPrivate()));
    } catch (CertIOException e) {
      throw new GeneralSecurityException("cannot build the CA certificate", e);
    }
  }

  /** Issues a certificate for {@code publicKey}, valid for {@link #LEAF_VALIDITY}. */
  X509Certificate issue(String cn, String role, PublicKey publicKey, Usage usage)
      throws GeneralSecurityException {
    return issue(cn, role, publicKey, usage, LEAF_VALIDITY);
  }

  /** Issues a certificate for {@code publicKey}, valid from five minutes ago for {@code validity}. */
  X509Certificate issue(String cn, String role, PublicKey publicKey, Usage usage,
      Duration validity) throws GeneralSecurityException {
    return issue(cn, role, publicKey, usage, validity, List.of());
  }

  /**
   * Issues a certificate for {@code publicKey}, valid from five minutes ago for {@code validity};
   * a client's certificate names the models its role is limited to, if any, as subject
   * alternative names {@value Identity#MODEL_URI_PREFIX}NAME.
   */
  X509Certificate issue(String cn, String role, PublicKey publicKey, Usage usage,
      Duration validity, List<String> models) throws GeneralSecurityException {
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  caCert,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(validity)),
                  name(cn, role),
                  publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(caCert))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
      switch (usage) {
        case SIGNING ->
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        case TLS_SERVER -> {
          b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
          b.addExtension(
              Extension.extendedKeyUsage,
              false,
              new ExtendedKeyUsage(
                  new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
          List<GeneralName> sans = new ArrayList<>();
          sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
          sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
          sans.add(new GeneralName(GeneralName.iPAddress, "::1"));
          b.addExtension(
              Extension.subjectAlternativeName,
              false,
              new GeneralNames(sans.toArray(GeneralName[]::new)));
        }
        case TLS_CLIENT -> {
          b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
          b.addExtension(
              Extension.extendedKeyUsage,
              false,
              new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
          if (!models.isEmpty()) {
            b.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(models.stream()
                    .map(m -> new GeneralName(GeneralName.uniformResourceIdentifier,
                        Identity.MODEL_URI_PREFIX + m))
                    .toArray(GeneralName[]::new)));
          }
        }
      }
      return sign(b, caKey);
    } catch (CertIOException e) {
      throw new GeneralSecurityException("cannot build a certificate for " + cn, e);
    }
  }

  /**
   * A CRL listing {@code revoked} (serial to revocation time), number {@code number}, signed by
   * this CA.
   */
  X509CRL crl(Map<BigInteger, Instant> revoked, BigInteger number) throws GeneralSecurityException {
    Instant now = Instant.now();
    try {
      X509v2CRLBuilder b =
          new JcaX509v2CRLBuilder(caCert.getSubjectX500Principal(), Date.from(now));
      b.setNextUpdate(Date.from(now.plus(CA_VALIDITY)));
      for (Map.Entry<BigInteger, Instant> e : revoked.entrySet()) {
        b.addCRLEntry(e.getKey(), Date.from(e.getValue()), CRLReason.keyCompromise);
      }
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKey);
      return new JcaX509CRLConverter().getCRL(b.build(signer));
    } catch (CertIOException | OperatorCreationException e) {
      throw new GeneralSecurityException("cannot build the CRL", e);
    }
  }

  private static X500Name name(String cn, String role) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Bastion")
        .addRDN(BCStyle.OU, role)
        .addRDN(BCStyle.CN, cn)
        .build();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign a certificate", e);
    }
  }
}
