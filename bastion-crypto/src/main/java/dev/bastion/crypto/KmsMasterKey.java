package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KmsClient;
import com.google.crypto.tink.KmsClients;
import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The seam for a remote key manager (HashiCorp Vault transit, AWS KMS, Cloud KMS): the master key
 * is a KMS key named by {@code BASTION_KMS_KEY_URI} (system property {@code bastion.kms.key-uri}),
 * reached through Tink's {@link KmsClient}. Bastion ships no client of its own: the deployment puts
 * the Tink KMS extension for its provider on the classpath (found with {@link ServiceLoader}) or
 * registers one with {@link KmsClients#add}. A URI no client supports is an error, never a
 * fallback to a local key.
 */
final class KmsMasterKey {
  private KmsMasterKey() {}

  static Optional<String> configuredUri() {
    String v = System.getProperty("bastion.kms.key-uri", System.getenv("BASTION_KMS_KEY_URI"));
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  /** The KMS key's AEAD, or empty when no KMS key is configured. */
  static Optional<Aead> open() throws BadInputException, VerificationException {
    Optional<String> uri = configuredUri();
    if (uri.isEmpty()) {
      return Optional.empty();
    }
    KmsClient client = null;
    for (KmsClient c : ServiceLoader.load(KmsClient.class)) {
      if (c.doesSupport(uri.get())) {
        client = c;
        break;
      }
    }
    try {
      if (client == null) {
        client = KmsClients.get(uri.get());
      }
    } catch (GeneralSecurityException e) {
      String scheme = uri.get().contains("://") ? uri.get().substring(0, uri.get().indexOf("://"))
          : uri.get();
      throw new BadInputException(
          "BASTION_KMS_KEY_URI: no KMS client for '" + scheme + "' keys is installed; add the Tink"
              + " KMS extension for that provider to the classpath", e);
    }
    try {
      return Optional.of(client.withDefaultCredentials().getAead(uri.get()));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          "KMS key " + uri.get() + ": cannot be used: " + e.getMessage(), e);
    }
  }
}
