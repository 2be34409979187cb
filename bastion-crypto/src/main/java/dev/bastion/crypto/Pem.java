package dev.bastion.crypto;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/** PEM encoding and decoding of certificates and keys. */
public final class Pem {
  private Pem() {}

  /** PEM text of a certificate, a public key or a private key. */
  public static String encode(Object value) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(value);
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to memory cannot fail", e);
    }
    return out.toString();
  }

  /** PEM text of a DER blob with the given type ("PRIVATE KEY", "CERTIFICATE", ...). */
  public static String encode(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to memory cannot fail", e);
    }
    return out.toString();
  }

  /** The first X.509 certificate in {@code pem}. */
  public static X509Certificate certificate(byte[] pem, String where) throws BadInputException {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(pem));
    } catch (CertificateException | ClassCastException e) {
      throw new BadInputException(where + ": not a PEM X.509 certificate", e);
    }
  }

  /** The DER content of the first PEM block of the given type. */
  public static byte[] decode(String pem, String type, String where) throws BadInputException {
    try (PemReader reader = new PemReader(new StringReader(pem))) {
      for (PemObject o; (o = reader.readPemObject()) != null; ) {
        if (o.getType().equals(type)) {
          return o.getContent();
        }
      }
    } catch (IOException e) {
      throw new BadInputException(where + ": malformed PEM", e);
    }
    throw new BadInputException(where + ": no PEM block of type " + type);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
