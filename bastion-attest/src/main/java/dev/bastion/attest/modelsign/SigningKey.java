package dev.bastion.attest.modelsign;

import dev.bastion.core.BadInputException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The key a model is signed with: an EC private key on P-256, P-384 or P-521, and for the
 * certificate method the signing certificate and the chain above it.
 *
 * <p>The private key never leaves this object and {@link #toString()} does not show it.
 */
public final class SigningKey {
  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final Keys.Curve curve;
  private final List<X509Certificate> chain;

  private SigningKey(
      PrivateKey privateKey, PublicKey publicKey, Keys.Curve curve, List<X509Certificate> chain) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.curve = curve;
    this.chain = List.copyOf(chain);
  }

  /**
   * A key for the key method, from PEM: PKCS#8 {@code PRIVATE KEY} (as {@code openssl genpkey}
   * writes it) or SEC1 {@code EC PRIVATE KEY} (as {@code openssl ecparam -genkey} does). Text
   * around the PEM block is ignored. Encrypted keys are refused.
   *
   * @throws BadInputException if it is not an unencrypted EC key on a supported curve
   */
  public static SigningKey fromPem(byte[] pem, String where) throws BadInputException {
    PrivateKey key = readPrivateKey(pem, where);
    Keys.Curve curve = Keys.Curve.of(key);
    if (curve == null) {
      throw new BadInputException(where + ": not an EC key on P-256, P-384 or P-521");
    }
    return new SigningKey(key, derivePublic((ECPrivateKey) key, curve, where), curve, List.of());
  }

  /**
   * A key for the certificate method: the private key, its certificate, and the certificates
   * above it (intermediates, and optionally the root), which go into the bundle leaf first.
   *
   * @throws BadInputException if the certificate is not for this private key
   */
  public static SigningKey withCertificates(
      byte[] keyPem, byte[] certificatePem, List<byte[]> chainPems, String where)
      throws BadInputException {
    SigningKey k = fromPem(keyPem, where);
    X509Certificate leaf = Keys.readCertificates(certificatePem, "signing certificate").get(0);
    if (!java.util.Arrays.equals(leaf.getPublicKey().getEncoded(), k.publicKey.getEncoded())) {
      throw new BadInputException(
          "signing certificate: its public key is not the private key's ("
              + leaf.getSubjectX500Principal().getName() + ")");
    }
    try {
      // What a verifier requires of the signing certificate: a bundle it refuses is not made.
      Chains.checkMaySign(leaf);
    } catch (dev.bastion.core.VerificationException e) {
      throw new BadInputException(e.getMessage(), e);
    }
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    int i = 0;
    for (byte[] pem : chainPems) {
      chain.addAll(Keys.readCertificates(pem, "certificate chain file " + (++i)));
    }
    if (chain.size() > Bundle.MAX_CERTIFICATES) {
      throw new BadInputException(
          "certificate chain: more than " + Bundle.MAX_CERTIFICATES + " certificates");
    }
    return new SigningKey(k.privateKey, k.publicKey, k.curve, chain);
  }

  /** The public half. */
  public PublicKey publicKey() {
    return publicKey;
  }

  /** The signing certificate and its chain, leaf first; empty for the key method. */
  public List<X509Certificate> certificates() {
    return chain;
  }

  /** The OMS key hint of the public key. */
  public String hint() {
    return Keys.hint(publicKey);
  }

  Keys.Curve curve() {
    return curve;
  }

  /** A DER ECDSA signature over {@code message}, with the hash that matches the curve. */
  byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance(curve.signatureAlgorithm);
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA on " + curve.stdName + " is always available", e);
    }
  }

  @Override
  public String toString() {
    return "SigningKey[" + curve.stdName + ", hint " + hint().substring(0, 12) + "]";
  }

  private static PrivateKey readPrivateKey(byte[] pem, String where) throws BadInputException {
    for (Object o : Keys.pemObjects(pem, where)) {
      if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
        throw new BadInputException(
            where + ": the private key is encrypted; decrypt it first (openssl pkcs8 -nocrypt)");
      }
      PrivateKeyInfo info = null;
      if (o instanceof PrivateKeyInfo p) {
        info = p;
      } else if (o instanceof PEMKeyPair kp) {
        info = kp.getPrivateKeyInfo();
      }
      if (info != null) {
        try {
          return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | java.io.IOException e) {
          throw new BadInputException(where + ": not an EC private key", e);
        }
      }
    }
    throw new BadInputException(where + ": no PEM PRIVATE KEY or EC PRIVATE KEY block");
  }

  /** The public point d·G: a PKCS#8 key need not carry its public key. */
  private static PublicKey derivePublic(ECPrivateKey key, Keys.Curve curve, String where)
      throws BadInputException {
    ECNamedCurveParameterSpec bc = ECNamedCurveTable.getParameterSpec(curve.stdName);
    BigInteger d = key.getS();
    if (d.signum() <= 0 || d.compareTo(bc.getN()) >= 0) {
      throw new BadInputException(where + ": the private scalar is out of range");
    }
    ECPoint q = bc.getG().multiply(d).normalize();
    java.security.spec.ECPoint w =
        new java.security.spec.ECPoint(
            q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    try {
      return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, key.getParams()));
    } catch (GeneralSecurityException e) {
      throw new BadInputException(where + ": cannot derive the public key", e);
    }
  }
}
