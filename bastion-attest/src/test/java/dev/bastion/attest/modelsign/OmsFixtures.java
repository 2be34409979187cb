package dev.bastion.attest.modelsign;

import dev.bastion.crypto.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Shared helpers: the OMS vectors (copied from shared/vectors), keys and a small test PKI. */
final class OmsFixtures {
  private OmsFixtures() {}

  /** The copy of the vectors under test resources. */
  static Path vectors() {
    try {
      return Path.of(OmsFixtures.class.getResource("/oms/README.md").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] read(String rel) {
    try {
      return Files.readAllBytes(vectors().resolve(rel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies vector folder {@code name} into {@code dir}, so a test may change it. */
  static Path copyVector(String name, Path dir) {
    Path target = dir.resolve(name);
    copyTree(vectors().resolve(name), target);
    return target;
  }

  static void copyTree(Path from, Path to) {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
          t.toFile().setWritable(true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TrustRoot vectorKey() throws Exception {
    return TrustRoot.publicKeyPem(
        read("keys/certificate/signing-key-pub.pem"), "signing-key-pub.pem");
  }

  static TrustRoot vectorCa() throws Exception {
    return TrustRoot.certificatePems(List.of(read("keys/certificate/ca-cert.pem")));
  }

  // ---- keys ----

  static KeyPair ecKeyPair(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve), new SecureRandom());
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PKCS#8 PEM, as {@code openssl genpkey} writes it. */
  static byte[] privatePem(PrivateKey key) {
    return Pem.encode("PRIVATE KEY", key.getEncoded()).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] publicPem(PublicKey key) {
    return Pem.encode("PUBLIC KEY", key.getEncoded()).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] certPem(X509Certificate... certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      sb.append(Pem.encode(c));
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ---- a test PKI: root CA -> intermediate CA -> signing certificate ----

  /** A CA chain and a leaf for signing. */
  record Pki(
      KeyPair rootKey,
      X509Certificate root,
      KeyPair intermediateKey,
      X509Certificate intermediate,
      KeyPair leafKey,
      X509Certificate leaf) {}

  static Pki pki(String name, String leafCurve) {
    return pki(name, leafCurve, Instant.now().minus(Duration.ofDays(1)), Duration.ofDays(30));
  }

  static Pki pki(String name, String leafCurve, Instant notBefore, Duration leafLife) {
    KeyPair rootKey = ecKeyPair("secp384r1");
    KeyPair intKey = ecKeyPair("secp256r1");
    KeyPair leafKey = ecKeyPair(leafCurve);
    X500Name rootName = new X500Name("CN=" + name + " root");
    X500Name intName = new X500Name("CN=" + name + " intermediate");
    X509Certificate root =
        cert(rootName, rootName, rootKey.getPublic(), rootKey.getPrivate(), true, notBefore,
            Duration.ofDays(3650));
    X509Certificate intermediate =
        cert(intName, rootName, intKey.getPublic(), rootKey.getPrivate(), true, notBefore,
            Duration.ofDays(365));
    X509Certificate leaf =
        cert(new X500Name("CN=" + name + " model signer"), intName, leafKey.getPublic(),
            intKey.getPrivate(), false, notBefore, leafLife);
    return new Pki(rootKey, root, intKey, intermediate, leafKey, leaf);
  }

  private static X509Certificate cert(
      X500Name subject, X500Name issuer, PublicKey key, PrivateKey issuerKey, boolean ca,
      Instant notBefore, Duration life) {
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
              Date.from(notBefore),
              Date.from(notBefore.plus(life)),
              subject,
              key);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(
            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
      }
      String alg = issuerKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
