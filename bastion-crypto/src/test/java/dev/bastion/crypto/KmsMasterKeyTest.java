package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.KmsClient;
import com.google.crypto.tink.KmsClients;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.bastion.core.BadInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KMS seam: a master key behind Tink's KmsClient, and no silent fallback. */
class KmsMasterKeyTest {
  /**
   * Stands in for a remote KMS in this test: a client for {@code bastion-test-kms://} URIs whose
   * keys are real Tink AES-256-GCM keysets held in memory.
   */
  static final class InMemoryKms implements KmsClient {
    final Aead aead;

    InMemoryKms() throws GeneralSecurityException {
      com.google.crypto.tink.aead.AeadConfig.register();
      aead =
          KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, RegistryConfiguration.get())
              .getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    @Override
    public boolean doesSupport(String uri) {
      return uri.startsWith("bastion-test-kms://");
    }

    @Override
    public KmsClient withCredentials(String credentialPath) {
      return this;
    }

    @Override
    public KmsClient withDefaultCredentials() {
      return this;
    }

    @Override
    public Aead getAead(String uri) {
      return aead;
    }
  }

  @AfterEach
  void clear() {
    System.clearProperty("bastion.kms.key-uri");
  }

  @Test
  void aKeyringUnderAKmsMasterKeyRoundTrips(@TempDir Path tmp) throws Exception {
    KmsClients.add(new InMemoryKms());
    System.setProperty("bastion.kms.key-uri", "bastion-test-kms://keys/master");
    Path dir = tmp.resolve("home").resolve("keys");
    Keyring k = Keyring.initialise(dir);
    byte[] ct = k.artifactAead().encrypt("x".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertThat(dir.resolve("home.id")).doesNotExist(); // no local master key involved
    assertThat(Keyring.open(dir).artifactAead().decrypt(ct, new byte[0]))
        .isEqualTo("x".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aUriNoClientSupportsIsRefusedNotReplacedByALocalKey(@TempDir Path tmp) {
    System.setProperty("bastion.kms.key-uri", "hcvault://vault.internal/transit/keys/bastion");
    assertThatThrownBy(() -> Keyring.initialise(tmp.resolve("home").resolve("keys")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no KMS client for 'hcvault' keys");
  }
}
