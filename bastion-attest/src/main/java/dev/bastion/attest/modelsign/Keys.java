package dev.bastion.attest.modelsign;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;

/** EC curves, key and certificate reading, and the OMS key hint. */
final class Keys {
  /** Certificates and keys are small; anything larger than this is not one. */
  static final long MAX_PEM_BYTES = 1 << 20;

  private Keys() {}

  /**
   * The curves OMS (and Sigstore) allow, each with the hash that goes with its size: P-256 with
   * SHA-256, P-384 with SHA-384, P-521 with SHA-512, as the reference implementation signs.
   */
  enum Curve {
    P256("secp256r1", "SHA256withECDSA"),
    P384("secp384r1", "SHA384withECDSA"),
    P521("secp521r1", "SHA512withECDSA");

    final String stdName;
    final String signatureAlgorithm;
    private final ECParameterSpec spec;

    Curve(String stdName, String signatureAlgorithm) {
      this.stdName = stdName;
      this.signatureAlgorithm = signatureAlgorithm;
      try {
        AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
        p.init(new ECGenParameterSpec(stdName));
        this.spec = p.getParameterSpec(ECParameterSpec.class);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK provides " + stdName, e);
      }
    }

    /** The curve of an EC key, or {@code null} if it is not an EC key on one of these curves. */
    static Curve of(java.security.Key key) {
      if (!(key instanceof ECKey ec)) {
        return null;
      }
      ECParameterSpec s = ec.getParams();
      for (Curve c : values()) {
        if (c.spec.getOrder().equals(s.getOrder())
            && c.spec.getCurve().equals(s.getCurve())
            && c.spec.getGenerator().equals(s.getGenerator())
            && c.spec.getCofactor() == s.getCofactor()) {
          return c;
        }
      }
      return null;
    }
  }

  /**
   * The PEM text of a public key's SubjectPublicKeyInfo, exactly as OpenSSL and Python's
   * {@code cryptography} write it (64-column base64, {@code \n} line ends), since the OMS key
   * hint is a digest of this text.
   */
  static String publicKeyPem(PublicKey key) {
    String b64 = Base64.getEncoder().encodeToString(key.getEncoded());
    StringBuilder sb = new StringBuilder("-----BEGIN PUBLIC KEY-----\n");
    for (int i = 0; i < b64.length(); i += 64) {
      sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    return sb.append("-----END PUBLIC KEY-----\n").toString();
  }

  /** The OMS {@code publicKey.hint}: lowercase hex SHA-256 of {@link #publicKeyPem}. */
  static String hint(PublicKey key) {
    return Digest.of(publicKeyPem(key).getBytes(StandardCharsets.US_ASCII)).hex();
  }

  /**
   * Reads a public key: PEM ({@code PUBLIC KEY}, possibly after other text) or DER
   * SubjectPublicKeyInfo.
   */
  static PublicKey readPublicKey(byte[] data, String where) throws BadInputException {
    byte[] der = null;
    if (looksLikePem(data)) {
      for (Object o : pemObjects(data, where)) {
        if (o instanceof SubjectPublicKeyInfo spki) {
          der = encoded(spki, where);
          break;
        }
      }
      if (der == null) {
        throw new BadInputException(where + ": no PEM PUBLIC KEY block");
      }
    } else {
      der = data;
    }
    try {
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new BadInputException(where + ": not an EC public key", e);
    }
  }

  /** Every certificate in a PEM file, in order. */
  static List<X509Certificate> readCertificates(byte[] pem, String where)
      throws BadInputException {
    List<X509Certificate> out = new ArrayList<>();
    for (Object o : pemObjects(pem, where)) {
      if (o instanceof X509CertificateHolder h) {
        try {
          out.add(certificate(h.getEncoded(), where));
        } catch (IOException e) {
          throw new BadInputException(where + ": malformed certificate", e);
        }
      }
    }
    if (out.isEmpty()) {
      throw new BadInputException(where + ": no PEM CERTIFICATE block");
    }
    return out;
  }

  /** One DER X.509 certificate. */
  static X509Certificate certificate(byte[] der, String where) throws BadInputException {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | ClassCastException | IllegalArgumentException e) {
      throw new BadInputException(where + ": not an X.509 certificate", e);
    }
  }

  /** The PEM objects of {@code pem}, text outside PEM blocks skipped. */
  static List<Object> pemObjects(byte[] pem, String where) throws BadInputException {
    List<Object> out = new ArrayList<>();
    try (Reader r = new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.UTF_8);
        PEMParser p = new PEMParser(r)) {
      for (Object o; (o = p.readObject()) != null; ) {
        out.add(o);
        if (out.size() > 64) {
          throw new BadInputException(where + ": more than 64 PEM blocks");
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(where + ": malformed PEM: " + e.getMessage(), e);
    }
    return out;
  }

  static boolean looksLikePem(byte[] data) {
    String head = new String(data, 0, Math.min(data.length, 1 << 16), StandardCharsets.ISO_8859_1);
    return head.contains("-----BEGIN ");
  }

  private static byte[] encoded(SubjectPublicKeyInfo spki, String where) throws BadInputException {
    try {
      return spki.getEncoded();
    } catch (IOException e) {
      throw new BadInputException(where + ": malformed public key", e);
    }
  }

  /**
   * Whether {@code signature} (DER) over {@code message} verifies with {@code key} and
   * {@code algorithm}. A malformed signature is a signature that does not verify.
   */
  static boolean verifies(PublicKey key, String algorithm, byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (SignatureException | InvalidKeyException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " is always available", e);
    }
  }
}
