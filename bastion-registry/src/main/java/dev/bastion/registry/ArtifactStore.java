package dev.bastion.registry;

import com.google.crypto.tink.Aead;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.KekRotation;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Immutable, content-addressed, encrypted blobs under {@code BASTION_HOME/store}.
 *
 * <p>Each artifact is named by the SHA-256 of its plaintext and stored as envelope ciphertext (a
 * fresh data key per artifact, wrapped by the KEK) bound to that name as associated data. Reading
 * decrypts and re-hashes: a blob that was changed, swapped with another or encrypted under another
 * key is refused with its digest. Every put and get, refused or not, goes on the ledger.
 */
public final class ArtifactStore implements ArtifactSource {
  private final Path dir;
  private final Aead aead;
  private final Ledger ledger;

  public ArtifactStore(Path dir, Aead aead, Ledger ledger) {
    this.dir = dir;
    this.aead = aead;
    this.ledger = ledger;
  }

  /** Where the blob of {@code d} lives. */
  public Path pathOf(Digest d) {
    String hex = d.hex();
    return dir.resolve(Digest.ALGORITHM).resolve(hex.substring(0, 2)).resolve(hex);
  }

  public boolean contains(Digest d) {
    return Files.exists(pathOf(d));
  }

  /**
   * Stores {@code data} and returns its digest. Storing the same bytes again writes nothing.
   *
   * @param kind what it is ({@code snapshot}, {@code model}, {@code attestation}, ...)
   */
  public Digest put(byte[] data, String kind, String actor, String runId) throws IOException {
    Digest d = Digest.of(data);
    Path p = pathOf(d);
    if (!Files.exists(p)) {
      byte[] ct;
      try {
        ct = aead.encrypt(data, ad(d));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("envelope encryption does not fail on valid input", e);
      }
      AtomicFiles.write(p, ct);
    }
    ledger.append(
        Event.now(
            EventKind.ARTIFACT_PUT,
            actor,
            "put",
            d.toString(),
            "ok",
            runId,
            Map.of("kind", kind, "bytes", Integer.toString(data.length))));
    return d;
  }

  /**
   * Reads and checks the artifact {@code d}.
   *
   * @throws VerificationException if it is missing, does not decrypt, or its digest differs
   */
  @Override
  public byte[] get(Digest d, String actor, String runId)
      throws IOException, VerificationException {
    Path p = pathOf(d);
    String failure = null;
    byte[] data = null;
    if (!Files.exists(p)) {
      failure = "artifact " + d + " is not in the store";
    } else {
      try {
        data = aead.decrypt(Files.readAllBytes(p), ad(d));
        if (!Digest.of(data).equals(d)) {
          failure = "artifact " + d + " (" + p + "): content does not match its digest";
        }
      } catch (GeneralSecurityException e) {
        failure = "artifact " + d + " (" + p + "): does not decrypt; it was modified or replaced";
      }
    }
    ledger.append(
        Event.now(
            EventKind.ARTIFACT_GET,
            actor,
            "get",
            d.toString(),
            failure == null ? "ok" : "refused",
            runId,
            Map.of()));
    if (failure != null) {
      throw new VerificationException(failure);
    }
    return data;
  }

  /**
   * Re-wraps every artifact's data key under the rotation's new KEK, each blob rewritten
   * atomically with its encrypted content unchanged. Recorded on the ledger.
   *
   * @return how many artifacts were re-wrapped
   * @throws VerificationException naming the first blob that cannot be unwrapped
   */
  public long rewrapAll(KekRotation rotation, String actor, String runId)
      throws IOException, VerificationException {
    Path root = dir.resolve(Digest.ALGORITHM);
    long n = 0;
    if (Files.isDirectory(root)) {
      List<Path> blobs;
      try (Stream<Path> s = Files.walk(root)) {
        blobs = s.filter(Files::isRegularFile)
            .filter(p -> !p.getFileName().toString().startsWith("."))
            .sorted()
            .toList();
      }
      for (Path p : blobs) {
        try {
          AtomicFiles.write(p, rotation.rewrap(Files.readAllBytes(p)));
        } catch (GeneralSecurityException e) {
          throw new VerificationException(
              "artifact " + p.getFileName() + " (" + p + "): its data key does not unwrap", e);
        }
        n++;
      }
    }
    ledger.append(
        Event.now(EventKind.KEY_OPERATION, actor, "rewrap", "kek:" + rotation.newKeyId(), "ok",
            runId, Map.of("artifacts", Long.toString(n))));
    return n;
  }

  /**
   * Destroys the artifact {@code d}: its wrapped data key is overwritten on disk (fsync), then the
   * blob is removed. Copies made before (backups) still hold the data key wrapped by the current
   * KEK, so crypto-shredding completes with a KEK rotation that destroys that key (the {@code data
   * erase} command does both). Recorded on the ledger with who and why.
   *
   * @throws VerificationException if the artifact is not in the store
   */
  public void erase(Digest d, String actor, String runId, String reason)
      throws IOException, VerificationException {
    Path p = pathOf(d);
    if (!Files.exists(p)) {
      throw new VerificationException("artifact " + d + " is not in the store");
    }
    byte[] blob = Files.readAllBytes(p);
    int n = blob.length >= 4 ? ByteBuffer.wrap(blob, 0, 4).getInt() : 0;
    int wipe = n > 0 && n <= blob.length - 4 ? 4 + n : blob.length;
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(wipe);
      while (zeros.hasRemaining()) {
        ch.write(zeros, zeros.position());
      }
      ch.force(true);
    }
    Files.delete(p);
    AtomicFiles.fsyncDirectory(p.getParent());
    ledger.append(
        Event.now(EventKind.ARTIFACT_ERASE, actor, "erase", d.toString(), "ok", runId,
            Map.of("reason", reason)));
  }

  private static byte[] ad(Digest d) {
    return ("bastion:artifact:" + d).getBytes(StandardCharsets.UTF_8);
  }
}
