package dev.bastion.registry;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.io.IOException;

/**
 * Where a verifier reads artifacts from: the encrypted store of a home ({@link ArtifactStore}) or
 * an exported evidence directory ({@link EvidenceDirectory}).
 *
 * <p>Contract: {@link #get} returns only bytes whose SHA-256 is {@code d}. A missing, unreadable
 * or altered artifact is a {@link VerificationException} naming {@code d}, never {@code null},
 * never bytes that were not checked.
 */
@FunctionalInterface
public interface ArtifactSource {
  /**
   * Reads the artifact {@code d} and checks its digest.
   *
   * @param actor who reads it, for sources that record reads
   * @param runId the run or session reading it, for sources that record reads
   * @throws VerificationException if it is missing or its content does not match {@code d}
   * @throws IOException if the source cannot be read at all
   */
  byte[] get(Digest d, String actor, String runId) throws IOException, VerificationException;

  /**
   * Checks that {@code d} is still there to be read (not erased, not lost), without reading it
   * where the source can tell more cheaply; this default reads and checks it.
   *
   * @throws VerificationException if it is missing (saying why, where the source knows)
   */
  default void checkPresent(Digest d, String actor, String runId)
      throws IOException, VerificationException {
    get(d, actor, runId);
  }
}
