package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import dev.bastion.crypto.KekRotation;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelChain;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotating the artifact KEK: data keys re-wrapped, content untouched, old key gone for good. */
class KekRotationTest {
  @TempDir Path tmp;

  private static byte[] content(byte[] blob) {
    int n = ByteBuffer.wrap(blob, 0, 4).getInt();
    return Arrays.copyOfRange(blob, 4 + n, blob.length);
  }

  @Test
  void everyArtifactStaysReadableAndABackupUnderTheOldKeyDoesNot() throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    Path homeDir = tmp.resolve("home");
    ModelChain chain;
    byte[] before;
    try (Home home = Home.init(homeDir)) {
      chain = CreditExample.run(home, pipeline).chain();
      before = Files.readAllBytes(home.store().pathOf(chain.model()));

      KekRotation rotation = home.keyring().beginKekRotation();
      long n = home.store().rewrapAll(rotation, "test", "rotate");
      assertThat(n).isGreaterThanOrEqualTo(10);
      assertThat(home.keyring().retire(rotation)).isEqualTo(1);

      byte[] after = Files.readAllBytes(home.store().pathOf(chain.model()));
      assertThat(after).isNotEqualTo(before);
      assertThat(content(after)).isEqualTo(content(before)); // not re-encrypted
    }
    try (Home home = Home.open(homeDir)) {
      ChainVerifier.Verified v =
          home.chainVerifier().verifyAll(chain, ChainVerifier.Contents.ALL, "test", "after");
      assertThat(v.model()).isPresent();
      var reg = home.registry().latest("credit-risk").orElseThrow();
      assertThat(home.registry().chainOf(reg, home.trust(), "test", "after")).isEqualTo(chain);

      // A copy of the blob taken before the rotation: its data key was wrapped by a destroyed KEK.
      Path blob = home.store().pathOf(chain.model());
      Files.write(blob, before);
      assertThatThrownBy(() -> home.store().get(chain.model(), "test", "backup"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining(chain.model().toString());

      // A second rotation works the same way.
      KekRotation again = home.keyring().beginKekRotation();
      Files.delete(blob); // the restored backup is unreadable anyway: leave it out
      home.store().rewrapAll(again, "test", "rotate-2");
      home.keyring().retire(again);
      LedgerVerifier.verify(homeDir.resolve("ledger"), Home.ledgerVerifier(homeDir));
    }
  }
}
