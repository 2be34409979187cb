package dev.bastion.registry;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The artifacts of an exported evidence directory ({@code bastion evidence export}): plain files
 * {@code artifacts/sha256-<hex>}, each named by the SHA-256 of its content.
 *
 * <p>Read-only, and trusting nothing about the directory: every read re-hashes the file and
 * refuses it unless the hash equals its name. A missing file, a symbolic link, a file that is too
 * large to be an artifact, or one whose content does not match its name throws a {@link
 * VerificationException} naming the digest. Nothing is recorded: this source runs where there is
 * no {@code BASTION_HOME} and no ledger.
 */
public final class EvidenceDirectory implements ArtifactSource {
  /** The directory, under the export, that holds the artifacts. */
  public static final String ARTIFACTS = "artifacts";

  /** Largest artifact read: a Java array's limit, checked before reading. */
  public static final long MAX_ARTIFACT_BYTES = Integer.MAX_VALUE - 8L;

  private final Path dir;

  /** Reads artifacts from {@code exportDir/artifacts}. */
  public EvidenceDirectory(Path exportDir) {
    this.dir = exportDir.resolve(ARTIFACTS);
  }

  /** The file name of {@code d} in an export: {@code sha256-<hex>}. */
  public static String fileName(Digest d) {
    return Digest.ALGORITHM + "-" + d.hex();
  }

  /** Where the artifact {@code d} lives in this export. */
  public Path pathOf(Digest d) {
    return dir.resolve(fileName(d));
  }

  /**
   * Reads the file named by {@code d} and checks that its SHA-256 is {@code d}.
   *
   * @throws VerificationException if the file is missing, not a regular file, too large, or its
   *     content does not match its name
   */
  @Override
  public byte[] get(Digest d, String actor, String runId)
      throws IOException, VerificationException {
    Path p = pathOf(d);
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException("artifact " + d + " is not in the evidence (" + p + ")");
    }
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException("artifact " + d + " (" + p + "): not a regular file");
    }
    if (Files.size(p) > MAX_ARTIFACT_BYTES) {
      throw new VerificationException("artifact " + d + " (" + p + "): larger than "
          + MAX_ARTIFACT_BYTES + " bytes");
    }
    byte[] data = Files.readAllBytes(p);
    if (!Digest.of(data).equals(d)) {
      throw new VerificationException(
          "artifact " + d + " (" + p + "): content does not match its digest");
    }
    return data;
  }
}
