package dev.bastion.crypto;

import dev.bastion.core.Digest;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * A named holder of a certificate from the deployment's CA: a component (ingest, trainer, gate,
 * registry, gateway, ledger) or a client. The certificate's CN is the name and its OU the role.
 *
 * @param name the common name
 * @param role the organisational unit, for example {@code component} or {@code predict}
 * @param certificate the certificate the local CA issued
 * @param models the models its role is limited to (URI subject alternative names {@value
 *     #MODEL_URI_PREFIX}NAME), read once from the certificate; empty when it holds for every
 *     model
 */
public record Identity(
    String name, String role, X509Certificate certificate, java.util.List<String> models) {
  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  /**
   * Whether {@code s} is a plain name, as identities, roles, models and audiences are spelled:
   * 1 to 63 of a-z 0-9 . _ -, starting with a letter or digit.
   */
  public static boolean isName(String s) {
    return NAME.matcher(s).matches();
  }

  /** How a certificate names a model its role is limited to (a URI subject alternative name). */
  public static final String MODEL_URI_PREFIX = "urn:bastion:model:";

  public Identity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(certificate, "certificate");
    models = java.util.List.copyOf(models);
    // The limits are the certificate's: no one builds an identity with wider ones.
    if (!models.equals(modelsOf(certificate))) {
      throw new IllegalArgumentException("models must be the certificate's own: "
          + modelsOf(certificate));
    }
  }

  /** An identity with its certificate's model limits. */
  public Identity(String name, String role, X509Certificate certificate) {
    this(name, role, certificate, modelsOf(certificate));
  }

  /** Reads name and role from a certificate's subject. */
  public static Identity of(X509Certificate certificate) {
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    return new Identity(
        attribute(subject, BCStyle.CN), attribute(subject, BCStyle.OU), certificate);
  }

  private static String attribute(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
    RDN[] rdns = name.getRDNs(oid);
    return rdns.length == 0 ? "" : IETFUtils.valueToString(rdns[0].getFirst().getValue());
  }

  /**
   * The models a certificate limits its role to (its URI subject alternative names); empty when
   * it holds for every model, and one empty name (no model) when they cannot be read.
   */
  static java.util.List<String> modelsOf(X509Certificate certificate) {
    java.util.Collection<java.util.List<?>> sans;
    try {
      sans = certificate.getSubjectAlternativeNames();
    } catch (java.security.cert.CertificateParsingException e) {
      // Cannot tell which models: none (fail closed), rather than all.
      return java.util.List.of("");
    }
    if (sans == null) {
      return java.util.List.of();
    }
    java.util.List<String> models = new java.util.ArrayList<>();
    for (java.util.List<?> san : sans) {
      if (san.size() == 2 && Integer.valueOf(6).equals(san.get(0))
          && san.get(1) instanceof String uri && uri.startsWith(MODEL_URI_PREFIX)) {
        models.add(uri.substring(MODEL_URI_PREFIX.length()));
      }
    }
    return java.util.List.copyOf(models);
  }

  /** Whether this identity's role holds for model {@code name}. */
  public boolean mayUse(String model) {
    java.util.List<String> m = models();
    return m.isEmpty() || m.contains(model);
  }

  /** The key ID: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo. */
  public String keyId() {
    return keyIdOf(certificate);
  }

  static String keyIdOf(X509Certificate certificate) {
    return Digest.of(certificate.getPublicKey().getEncoded()).hex();
  }

  /** The subject as text, for messages. */
  public String subject() {
    return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }
}
