package dev.bastion.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EvidenceDirectory}: plain files named by digest, re-hashed on every read. */
class EvidenceDirectoryTest {
  private static final byte[] A = "artifact a".getBytes(StandardCharsets.UTF_8);
  private static final byte[] B = "artifact b".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  EvidenceDirectory evidence;

  @BeforeEach
  void write() throws Exception {
    evidence = new EvidenceDirectory(dir);
    Files.createDirectories(dir.resolve(EvidenceDirectory.ARTIFACTS));
    Files.write(evidence.pathOf(Digest.of(A)), A);
    Files.write(evidence.pathOf(Digest.of(B)), B);
  }

  @Test
  void readsAFileWhoseContentMatchesItsName() throws Exception {
    assertThat(evidence.get(Digest.of(A), "t", "t")).isEqualTo(A);
    assertThat(evidence.pathOf(Digest.of(A)).getFileName().toString())
        .isEqualTo("sha256-" + Digest.of(A).hex());
  }

  @Test
  void refusesAMissingFileNamingTheDigest() {
    Digest c = Digest.of("c".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> evidence.get(c, "t", "t"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(c.toString())
        .hasMessageContaining("not in the evidence");
  }

  @Test
  void refusesSwappedOrAlteredContentNamingTheDigest() throws Exception {
    Files.write(evidence.pathOf(Digest.of(A)), B);
    assertThatThrownBy(() -> evidence.get(Digest.of(A), "t", "t"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(Digest.of(A).toString())
        .hasMessageContaining("does not match its digest");
  }

  @Test
  void refusesASymbolicLink() throws Exception {
    Path target = dir.resolve("elsewhere");
    Files.write(target, A);
    Files.delete(evidence.pathOf(Digest.of(A)));
    Files.createSymbolicLink(evidence.pathOf(Digest.of(A)), target);
    assertThatThrownBy(() -> evidence.get(Digest.of(A), "t", "t"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("not a regular file");
  }
}
