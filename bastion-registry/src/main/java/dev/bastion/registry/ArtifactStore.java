package dev.bastion.registry;

import com.google.crypto.tink.StreamingAead;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.ArtifactKeys;
import dev.bastion.crypto.KekRotation;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Immutable, content-addressed, encrypted blobs under {@code BASTION_HOME/store}.
 *
 * <p>Each artifact is named by the SHA-256 of its plaintext and encrypted under a data key of its
 * own, wrapped by the artifact KEK (see {@link ArtifactKeys}). Artifacts smaller than the streaming
 * threshold are one file in Tink's envelope format, bound to their name as associated data. Larger
 * ones are encrypted with streaming AEAD in 1 MiB authenticated segments, so they never have to sit
 * in memory; their wrapped data key lies beside the blob in {@code <digest>.key}, bound to the
 * name, so re-wrapping rewrites only that small file. Reading decrypts and re-hashes: a blob that
 * was changed, truncated, swapped with another or encrypted under another key is refused with its
 * digest. Every put and get, refused or not, goes on the ledger.
 */
public final class ArtifactStore implements ArtifactSource {
  /** Artifacts of at least this many bytes are encrypted with streaming AEAD. */
  public static final int STREAMING_THRESHOLD = 1 << 20;

  /** The largest artifact {@link #get} returns in memory; larger ones are {@link #export}ed. */
  public static final long MAX_IN_MEMORY = Integer.MAX_VALUE - 64;

  private static final String KEY_SUFFIX = ".key";
  private static final int MAX_KEY_FILE = 64 * 1024;
  private static final int BUFFER = 1 << 20;
  private static final byte[] STREAM_AD =
      "bastion:artifact-stream:v1".getBytes(StandardCharsets.UTF_8);

  private final Path dir;
  private final ArtifactKeys keys;
  private final Ledger ledger;
  private final int streamingThreshold;

  public ArtifactStore(Path dir, ArtifactKeys keys, Ledger ledger) {
    this(dir, keys, ledger, STREAMING_THRESHOLD);
  }

  /**
   * A store that encrypts artifacts of at least {@code streamingThreshold} bytes with streaming
   * AEAD (the default is {@link #STREAMING_THRESHOLD}; tests lower it).
   */
  public ArtifactStore(Path dir, ArtifactKeys keys, Ledger ledger, int streamingThreshold) {
    if (streamingThreshold < 0) {
      throw new IllegalArgumentException("streamingThreshold < 0");
    }
    this.dir = dir;
    this.keys = keys;
    this.ledger = ledger;
    this.streamingThreshold = streamingThreshold;
  }

  /** Where the blob of {@code d} lives. */
  public Path pathOf(Digest d) {
    String hex = d.hex();
    return root().resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** Where the wrapped data key of a streamed artifact {@code d} lives. */
  public Path keyPathOf(Digest d) {
    Path p = pathOf(d);
    return p.resolveSibling(p.getFileName() + KEY_SUFFIX);
  }

  public boolean contains(Digest d) {
    return Files.exists(pathOf(d));
  }

  /** Whether {@code d} is stored with streaming AEAD (its data key in a file of its own). */
  public boolean isStreamed(Digest d) {
    return Files.exists(keyPathOf(d));
  }

  private Path root() {
    return dir.resolve(Digest.ALGORITHM);
  }

  /**
   * Stores {@code data} and returns its digest. Storing the same bytes again writes nothing.
   *
   * @param kind what it is ({@code snapshot}, {@code model}, {@code attestation}, ...)
   */
  public Digest put(byte[] data, String kind, String actor, String runId) throws IOException {
    Digest d = Digest.of(data);
    Path p = pathOf(d);
    if (Files.exists(tombstoneOf(d))) {
      // Callers refuse erased data first (refuseErased), with a message for the user.
      throw new IOException("artifact " + d + " was erased; it is not stored again");
    }
    if (!Files.exists(p)) {
      if (data.length >= streamingThreshold) {
        ArtifactKeys.StreamingKey key = keys.newStreamingKey();
        Path tmp = AtomicFiles.temporary(root().resolve("incoming"));
        try {
          try (OutputStream out = encrypting(key, tmp)) {
            out.write(data);
          }
          commitStreamed(d, key, tmp);
        } finally {
          Files.deleteIfExists(tmp);
        }
      } else {
        byte[] ct;
        try {
          ct = keys.envelope().encrypt(data, ad(d));
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("envelope encryption does not fail on valid input", e);
        }
        AtomicFiles.write(p, ct);
      }
    }
    logPut(d, kind, data.length, actor, runId);
    return d;
  }

  /**
   * Stores the content of {@code file} and returns its digest, reading it once and never holding
   * it in memory: what is hashed is exactly what is encrypted, even if the file changes meanwhile.
   */
  public Digest put(Path file, String kind, String actor, String runId) throws IOException {
    if (Files.size(file) < streamingThreshold) {
      return put(Files.readAllBytes(file), kind, actor, runId);
    }
    ArtifactKeys.StreamingKey key = keys.newStreamingKey();
    Path tmp = AtomicFiles.temporary(root().resolve("incoming"));
    try {
      MessageDigest md = sha256();
      long total = 0;
      try (InputStream in = Files.newInputStream(file);
          OutputStream out = encrypting(key, tmp)) {
        byte[] buf = new byte[BUFFER];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          total += n;
        }
      }
      Digest d = Digest.ofRaw(md.digest());
      if (Files.exists(tombstoneOf(d))) {
        throw new IOException("artifact " + d + " was erased; it is not stored again");
      }
      commitStreamed(d, key, tmp);
      logPut(d, kind, total, actor, runId);
      return d;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static OutputStream encrypting(ArtifactKeys.StreamingKey key, Path tmp)
      throws IOException {
    OutputStream file = Files.newOutputStream(tmp);
    try {
      return key.aead().newEncryptingStream(file, STREAM_AD);
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      file.close();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("streaming encryption does not fail on valid input", e);
    }
  }

  /**
   * Publishes a streamed blob: its wrapped key first, then the blob, under the store's lock so
   * that two writers of the same content cannot pair one's key with the other's blob. A crash in
   * between leaves at most a key without a blob, which the next put or rotation replaces.
   */
  private void commitStreamed(Digest d, ArtifactKeys.StreamingKey key, Path tmp)
      throws IOException {
    Files.createDirectories(dir);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      if (Files.exists(pathOf(d))) {
        return; // the same content is stored already
      }
      byte[] wrapped;
      try {
        wrapped = key.wrap(keyAd(d));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("wrapping a data key does not fail on valid input", e);
      }
      AtomicFiles.write(keyPathOf(d), wrapped);
      Files.createDirectories(pathOf(d).getParent());
      AtomicFiles.commit(tmp, pathOf(d));
    }
  }

  private void logPut(Digest d, String kind, long bytes, String actor, String runId)
      throws IOException {
    ledger.append(
        Event.now(
            EventKind.ARTIFACT_PUT,
            actor,
            "put",
            d.toString(),
            "ok",
            runId,
            Map.of("kind", kind, "bytes", Long.toString(bytes))));
  }

  /**
   * Why {@code d} is not here: erased (the ledger says when, by whom and why), or never stored.
   * Read from the ledger only when an artifact is missing.
   */
  public String whyAbsent(Digest d) {
    String[] erased = {null};
    try {
      dev.bastion.ledger.LedgerVerifier.forEachEvent(ledger.directory(), e -> {
        if (e.kind() == EventKind.ARTIFACT_ERASE && e.object().equals(d.toString())) {
          erased[0] = "artifact " + d + " was erased (by " + e.actor() + " at " + e.time()
              + (e.details().containsKey("reason") ? ": " + e.details().get("reason") : "")
              + ")";
        }
      });
    } catch (IOException | VerificationException | RuntimeException e) {
      // The ledger's own checks report a damaged ledger; here the plain answer stands.
    }
    return erased[0] != null ? erased[0] : "artifact " + d + " is not in the store";
  }

  /** The mark erasing {@code d} leaves (a dot file: no walk of the store takes it for a blob). */
  private Path tombstoneOf(Digest d) {
    Path p = pathOf(d);
    return p.resolveSibling("." + p.getFileName() + ".erased");
  }

  /**
   * Refuses {@code d} if it was erased: storing the same bytes again would undo the erasure (its
   * source still holds what was to be forgotten) and bring back the models trained on it.
   *
   * @param what what {@code d} is, for the message ("snapshot", "reference data")
   * @throws CheckFailedException if {@code d} was erased
   */
  public void refuseErased(Digest d, String what) throws CheckFailedException {
    if (Files.exists(tombstoneOf(d))) {
      throw new CheckFailedException(what + " " + d + " is data that was erased: "
          + whyAbsent(d) + "; remove what was to be erased from the source and run again");
    }
  }

  /**
   * Whether the blob of {@code d} is here, without reading it all: refused if it was erased
   * (whatever was put at its path since), and if what is there is not a regular file with the shape
   * of this store's artifacts (a streamed one with its wrapped data key; an envelope with its
   * key's length ahead of it). Whether it decrypts to {@code d} is {@link #get}'s to check.
   */
  @Override
  public void checkPresent(Digest d, String actor, String runId) throws VerificationException {
    Path p = pathOf(d);
    if (Files.exists(tombstoneOf(d), LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException(whyAbsent(d));
    }
    boolean shaped;
    try {
      shaped = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && wellFormed(d, p);
    } catch (IOException e) {
      shaped = false;
    }
    if (!shaped) {
      throw new VerificationException("artifact " + d + " (" + p + "): not an artifact of this"
          + " store; it was modified or replaced");
    }
  }

  /** Whether {@code p} has the shape of an artifact of this store (not whether it decrypts). */
  private boolean wellFormed(Digest d, Path p) throws IOException {
    long size = Files.size(p);
    if (isStreamed(d)) {
      return size > 0 && Files.isRegularFile(keyPathOf(d), LinkOption.NOFOLLOW_LINKS);
    }
    long n = envelopeKeyLength(p, size);
    return n > 0 && 4 + n < size;
  }

  /**
   * The length of the wrapped key that an envelope-encrypted blob of {@code size} bytes starts
   * with (its first four bytes, big-endian), or -1 if it is shorter than that.
   */
  private static long envelopeKeyLength(Path p, long size) throws IOException {
    if (size < 4) {
      return -1;
    }
    ByteBuffer head = ByteBuffer.allocate(4);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      for (int r = 0; r >= 0 && head.hasRemaining(); ) {
        r = ch.read(head, head.position());
      }
    }
    return head.flip().remaining() == 4 ? head.getInt() : -1;
  }

  /**
   * Reads and checks the artifact {@code d}.
   *
   * @throws VerificationException if it is missing, does not decrypt, its digest differs, or it is
   *     larger than {@link #MAX_IN_MEMORY} (use {@link #export} for that)
   */
  @Override
  public byte[] get(Digest d, String actor, String runId)
      throws IOException, VerificationException {
    Path p = pathOf(d);
    String failure = null;
    byte[] data = null;
    try {
      if (!Files.exists(p)) {
        failure = whyAbsent(d);
      } else if (isStreamed(d)) {
        if (Files.size(p) > MAX_IN_MEMORY) {
          failure = "artifact " + d + " (" + p + "): too large to read into memory; export it";
        } else {
          try (InputStream in = decrypting(d)) {
            data = in.readAllBytes();
          }
        }
      } else {
        data = keys.envelope().decrypt(Files.readAllBytes(p), ad(d));
      }
      if (data != null && !Digest.of(data).equals(d)) {
        failure = "artifact " + d + " (" + p + "): content does not match its digest";
        data = null;
      }
    } catch (GeneralSecurityException | IOException e) {
      failure = undecryptable(d, e);
    }
    logGet(d, failure, actor, runId, Map.of());
    if (failure != null) {
      throw new VerificationException(failure);
    }
    return data;
  }

  /**
   * Decrypts the artifact {@code d} into {@code target}, streaming, in bounded memory. The
   * content is written beside the target and moved there only after its digest was checked: the
   * target holds the verified content or is not touched.
   *
   * @throws VerificationException if it is missing, does not decrypt or its digest differs
   */
  public void export(Digest d, Path target, String actor, String runId)
      throws IOException, VerificationException {
    Path p = pathOf(d);
    String failure = null;
    Path tmp = AtomicFiles.temporary(target);
    try {
      if (!Files.exists(p)) {
        failure = whyAbsent(d);
      } else {
        MessageDigest md = sha256();
        if (isStreamed(d)) {
          try (InputStream in = decrypting(d);
              OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
              md.update(buf, 0, n);
              out.write(buf, 0, n);
            }
          }
        } else {
          byte[] data = keys.envelope().decrypt(Files.readAllBytes(p), ad(d));
          md.update(data);
          Files.write(tmp, data);
        }
        if (!Digest.ofRaw(md.digest()).equals(d)) {
          failure = "artifact " + d + " (" + p + "): content does not match its digest";
        }
      }
    } catch (GeneralSecurityException | IOException e) {
      failure = undecryptable(d, e);
    }
    try {
      logGet(d, failure, actor, runId, Map.of("export", "true"));
      if (failure != null) {
        throw new VerificationException(failure);
      }
      AtomicFiles.commit(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The plaintext of the streamed artifact {@code d}; authentication errors surface as reads. */
  private InputStream decrypting(Digest d) throws IOException, GeneralSecurityException {
    Path keyFile = keyPathOf(d);
    if (Files.size(keyFile) > MAX_KEY_FILE) {
      throw new GeneralSecurityException("its key file is not a wrapped data key");
    }
    StreamingAead aead = keys.unwrapStreamingKey(Files.readAllBytes(keyFile), keyAd(d));
    InputStream blob = Files.newInputStream(pathOf(d));
    try {
      return aead.newDecryptingStream(blob, STREAM_AD);
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      blob.close();
      throw e;
    }
  }

  private String undecryptable(Digest d, Exception e) {
    if (e instanceof dev.bastion.crypto.ArtifactKeys.KekUnreadableException) {
      return "artifact " + d + " cannot be read: " + e.getMessage();
    }
    if (e instanceof NoSuchFileException) {
      return "artifact " + d + " (" + pathOf(d) + "): " + e.getMessage() + " vanished while read";
    }
    return "artifact " + d + " (" + pathOf(d) + "): does not decrypt; it was modified or replaced";
  }

  private void logGet(
      Digest d, String failure, String actor, String runId, Map<String, String> details)
      throws IOException {
    ledger.append(
        Event.now(
            EventKind.ARTIFACT_GET,
            actor,
            "get",
            d.toString(),
            failure == null ? "ok" : "refused",
            runId,
            details));
  }

  /**
   * Checks that every artifact's data key but those of {@code except} unwraps under the current
   * KEK, reading only the keys, never the content: a rotation (and an erasure, which ends with one)
   * checks this before it changes anything, so that it cannot stop halfway on a damaged artifact.
   *
   * @throws VerificationException naming the first artifact whose key does not unwrap
   */
  public void checkKeys(java.util.Set<Digest> except) throws IOException, VerificationException {
    if (!Files.isDirectory(root())) {
      return;
    }
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      for (Path p : storedFiles()) {
        String name = p.getFileName().toString();
        boolean keyFile = name.endsWith(KEY_SUFFIX);
        String blobName = keyFile ? name.substring(0, name.length() - KEY_SUFFIX.length()) : name;
        Digest d;
        try {
          d = Digest.parse(Digest.ALGORITHM + ":" + blobName);
        } catch (IllegalArgumentException e) {
          throw new VerificationException("artifact " + name + " (" + p + "): not a name this"
              + " store gives its files");
        }
        if (except.contains(d)) {
          continue;
        }
        try {
          if (keyFile) {
            if (Files.exists(p.resolveSibling(blobName))) {
              keys.unwrapStreamingKey(Files.readAllBytes(p), keyAd(d));
            }
          } else if (!Files.exists(p.resolveSibling(name + KEY_SUFFIX))) {
            keys.checkEnvelopeKey(head(p));
          }
        } catch (GeneralSecurityException e) {
          throw new VerificationException(
              "artifact " + d + " (" + p + "): its data key does not unwrap", e);
        }
      }
    }
  }

  /** The blobs and key files of the store, in name order (marks like tombstones left out). */
  private List<Path> storedFiles() throws IOException {
    try (Stream<Path> s = Files.walk(root())) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    }
  }

  /** The front of an envelope blob: its length field and the wrapped key it gives. */
  private static byte[] head(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(4);
      ch.read(len, 0);
      if (len.position() < 4) {
        return new byte[len.position()];
      }
      long n = len.flip().getInt();
      long size = ch.size();
      int take = (int) Math.min(size, n > 0 && n <= size - 4 ? 4 + n : 4);
      ByteBuffer b = ByteBuffer.allocate(take);
      while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
        // read on
      }
      return b.array();
    }
  }

  /**
   * Re-wraps every artifact's data key under the rotation's new KEK, each file rewritten
   * atomically with its encrypted content unchanged: the front of an envelope blob, or the key
   * file of a streamed one (whose blob is not touched at all). Recorded on the ledger.
   *
   * @return how many artifacts were re-wrapped
   * @throws VerificationException naming the first blob that cannot be unwrapped
   */
  public long rewrapAll(KekRotation rotation, String actor, String runId)
      throws IOException, VerificationException {
    long n = 0;
    if (Files.isDirectory(root())) {
      try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
        List<Path> orphans = new ArrayList<>();
        for (Path p : storedFiles()) {
          String name = p.getFileName().toString();
          try {
            if (name.endsWith(KEY_SUFFIX)) {
              Path blob = p.resolveSibling(name.substring(0, name.length() - KEY_SUFFIX.length()));
              if (!Files.exists(blob)) {
                orphans.add(p);
                continue;
              }
              Digest d = Digest.parse(Digest.ALGORITHM + ":" + blob.getFileName());
              AtomicFiles.write(p, rotation.rewrapStreamingKey(Files.readAllBytes(p), keyAd(d)));
            } else if (Files.exists(p.resolveSibling(name + KEY_SUFFIX))) {
              continue; // streamed: its key file is re-wrapped instead
            } else {
              AtomicFiles.write(p, rotation.rewrap(Files.readAllBytes(p)));
            }
          } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new VerificationException(
                "artifact " + name + " (" + p + "): its data key does not unwrap", e);
          }
          n++;
        }
        // A key without its blob is left by a put that died before publishing the blob.
        for (Path p : orphans) {
          Files.delete(p);
        }
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
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      // Marked first: whatever happens next, the same data is not stored again.
      AtomicFiles.write(tombstoneOf(d), ("erased " + d + "\n").getBytes(StandardCharsets.UTF_8));
      Path keyFile = keyPathOf(d);
      if (Files.exists(keyFile)) {
        wipe(keyFile, Files.size(keyFile));
        Files.delete(keyFile);
      } else {
        long size = Files.size(p);
        long n = envelopeKeyLength(p, size);
        wipe(p, n > 0 && n <= size - 4 ? 4 + n : size);
      }
      Files.delete(p);
      AtomicFiles.fsyncDirectory(p.getParent());
    }
    ledger.append(
        Event.now(EventKind.ARTIFACT_ERASE, actor, "erase", d.toString(), "ok", runId,
            Map.of("reason", reason)));
  }

  /** Overwrites the first {@code length} bytes of {@code file} with zeros and forces them out. */
  private static void wipe(Path file, long length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(BUFFER);
      for (long pos = 0; pos < length; ) {
        zeros.clear().limit((int) Math.min(BUFFER, length - pos));
        pos += ch.write(zeros, pos);
      }
      ch.force(true);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static byte[] ad(Digest d) {
    return ("bastion:artifact:" + d).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] keyAd(Digest d) {
    return ("bastion:artifact-key:" + d).getBytes(StandardCharsets.UTF_8);
  }
}
