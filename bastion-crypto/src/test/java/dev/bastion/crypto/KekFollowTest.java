package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A keyring follows a rotation of the artifact KEK made through another keyring on the same
 * directory (another process, such as {@code bastion keys rotate} beside a running gateway).
 */
class KekFollowTest {
  private static final byte[] AD = "artifact:sha256:abcd".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PT = "model weights".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;

  @Test
  void whatIsWrittenAfterARotationElsewhereIsReadHere() throws Exception {
    Keyring served = Keyring.initialise(tmp.resolve("keys"));
    Keyring operator = Keyring.open(tmp.resolve("keys"));
    byte[] before = served.artifactAead().encrypt(PT, AD);

    KekRotation rotation = operator.beginKekRotation();
    byte[] after = operator.artifactAead().encrypt(PT, AD);
    byte[] streamingKey = operator.artifactKeys().newStreamingKey().wrap(AD);

    assertThat(served.artifactAead().decrypt(after, AD)).isEqualTo(PT);
    assertThat(served.artifactKeys().unwrapStreamingKey(streamingKey, AD)).isNotNull();
    // New keys are wrapped under the new primary here too, so the retirement leaves them readable.
    byte[] servedAfter = served.artifactAead().encrypt(PT, AD);
    byte[] rewrapped = rotation.rewrap(before);
    operator.retire(rotation);

    assertThat(served.artifactAead().decrypt(servedAfter, AD)).isEqualTo(PT);
    assertThat(served.artifactAead().decrypt(rewrapped, AD)).isEqualTo(PT);
    // What only the retired key unwrapped is gone here as well (an erasure holds in every
    // process).
    assertThatThrownBy(() -> served.artifactAead().decrypt(before, AD))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void aKekFileThatCannotBeReadAgainFailsClosed() throws Exception {
    Keyring served = Keyring.initialise(tmp.resolve("keys"));
    Aead aead = served.artifactAead();
    byte[] ct = aead.encrypt(PT, AD);
    Path kek = tmp.resolve("keys").resolve("kek.json");
    Files.writeString(kek, "{\"not\": \"a keyset\"}");

    assertThatThrownBy(() -> aead.decrypt(ct, AD))
        .isInstanceOf(ArtifactKeys.KekUnreadableException.class)
        .hasMessageContaining("kek.json changed and cannot be read again");
    assertThatThrownBy(() -> aead.encrypt(PT, AD))
        .isInstanceOf(GeneralSecurityException.class);
  }
}
