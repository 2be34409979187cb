package dev.bastion.ledger;

import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import dev.bastion.ledger.tlog.TreeStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append-only event log under {@code BASTION_HOME/ledger}: an RFC 9162 Merkle tree log with
 * C2SP signed checkpoints.
 *
 * <pre>
 * segments/NNNN.jsonl   the entries, canonical JSON lines {"event":E,"i":N}, in segments of about
 *                       16 MiB named by their first index; after every commit a checkpoint line
 *                       {"checkpoint":NOTE}: a C2SP checkpoint (origin, size, root) signed as a
 *                       C2SP note with the ledger's Ed25519 key
 * tree/level-KK.bin     the hash of every complete aligned subtree of 2^K leaves, so roots and
 *                       proofs for any size need O(log n) reads
 * offsets.bin           for each entry, where its line starts in its segment
 * checkpoint            a copy of the latest signed checkpoint, for readers; written only after
 *                       the segment holding it was forced, so one that verifies and is ahead of
 *                       the segments (or off their tree) shows they were cut or rewritten: the
 *                       ledger then does not open, rather than overwrite that evidence
 * </pre>
 *
 * <p>Group commit: appenders queue their events; a writer thread turns the queue into a batch
 * (lines, hashes, tree, one signed checkpoint over them), a syncer thread writes the batch to the
 * segment and forces it (fsync), and only then does an acker thread acknowledge its entries. A
 * signed checkpoint therefore follows every acknowledged entry; whatever follows
 * the last checkpoint was never acknowledged (a crash, or lines written without the key) and is
 * cut off when the ledger is opened. The tree and the offsets are derived from the segments and
 * rebuilt from them when a crash left them behind. Checkpoints are copied out (to {@code
 * checkpoint} and the export directory) at most once a second and at close.
 *
 * <p>Memory is bounded whatever the size: the tree lives on disk, the state is a few hashes.
 * Thread-safe; batches from several ledger objects and processes are serialised by the directory
 * lock, one batch at a time.
 */
public final class Ledger implements AutoCloseable {
  static final String TREE = "tree";
  static final String OFFSETS = "offsets.bin";
  static final String CHECKPOINT = "checkpoint";

  /** A new segment is started once the current one is this long. */
  static final long SEGMENT_BYTES = 16L << 20;

  private final long segmentBytes;

  /** The longest time between two copies of the checkpoint out of the segments. */
  static final long EXPORT_INTERVAL_NANOS = 1_000_000_000L;

  private final Path dir;
  private final NoteSigner signer;
  private final NoteVerifier verifier;
  private final Optional<Path> exportDir;

  private final ReentrantLock queueLock = new ReentrantLock();
  /** The writer waits here for events to write and for the previous batch to be taken. */
  private final Condition toWrite = queueLock.newCondition();
  /** The syncer waits here for written batches. */
  private final Condition toSync = queueLock.newCondition();
  /** The batch collecting events; the writer writes it next. */
  private Batch open = new Batch();
  /** Batches written but not yet taken by the syncer: at most one. */
  private final ArrayDeque<Batch> unsynced = new ArrayDeque<>();
  private boolean closed;
  private boolean writerDone;
  /** Signalled when the syncer has written a batch's bytes. */
  private final Condition writtenCond = queueLock.newCondition();
  /** A derived file (offsets, exported checkpoint) failed after a batch was written. */
  private boolean derivedStale;
  /** Set when a force failed: nothing more is acknowledged. */
  private RuntimeException broken;
  /** Batches made durable, for the acker to complete. */
  private final ArrayDeque<Batch> durable = new ArrayDeque<>();
  private final Condition toAck = queueLock.newCondition();
  private boolean syncerDone;
  private volatile Consumer<Event> observer;
  private Thread writerThread;
  private Thread syncerThread;
  private Thread ackerThread;
  /** Held while forcing; taken before a segment channel is closed or replaced. */
  private final ReentrantLock channelLock = new ReentrantLock();
  /** Segments rolled away from, not yet forced: the next force does it and closes them. */
  private final List<FileChannel> retired = new ArrayList<>();
  /** The writer thread's {@code ,"i":N}} of one line. */
  private final byte[] tail = new byte[32];
  /** The writer thread's reusable output buffer. */
  private ByteBuffer writeBuffer;

  // Committed state; written by the writer thread with the directory lock held.
  private String origin;
  private TreeStore tree;
  private FileChannel offsets;
  private long segmentFirst;
  private volatile FileChannel segment;
  private long segmentLength;
  private volatile long size;
  private volatile byte[] root;
  private volatile byte[] note;
  private long lastExport;
  private boolean exported = true;
  private volatile long commits;
  private volatile long syncs;

  /** Events appended together: written with one checkpoint, acknowledged by one force. */
  private static final class Batch {
    final List<Queued> events = new ArrayList<>();
    final List<CompletableFuture<Long>> acks = new ArrayList<>();
    long first = -1;
    RuntimeException failure;
    /** The prepared bytes and where they go; set by the writer, written by the syncer. */
    ByteBuffer out;
    long pos;
    FileChannel channel;
    boolean written;
    IOException writeError;

    void fail(RuntimeException e) {
      for (CompletableFuture<Long> f : acks) {
        f.completeExceptionally(e);
      }
    }
  }

  private Ledger(Path dir, NoteSigner signer, Optional<Path> exportDir, long segmentBytes) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.signer = signer;
    this.exportDir = exportDir;
    try {
      this.verifier = NoteVerifier.parse(signer.verifierKey());
    } catch (BadInputException e) {
      throw new IllegalStateException("a signer's own verifier key parses", e);
    }
  }

  /**
   * Opens (creating if needed) the ledger in {@code dir}; checkpoints are signed by {@code signer}
   * and, if {@code exportDir} is given, copied there as they are signed (at most once a second).
   *
   * @throws VerificationException if the last checkpoint is not signed by {@code signer} or does
   *     not match the stored tree: the ledger is not appended to until someone looks ({@code
   *     bastion audit verify} names the entry)
   * @throws BadInputException if {@code dir} holds a ledger of an older format
   */
  public static Ledger open(Path dir, NoteSigner signer, Optional<Path> exportDir)
      throws IOException, VerificationException, BadInputException {
    return open(dir, signer, exportDir, SEGMENT_BYTES);
  }

  /** As {@link #open(Path, NoteSigner, Optional)}, with segments of {@code segmentBytes}. */
  static Ledger open(Path dir, NoteSigner signer, Optional<Path> exportDir, long segmentBytes)
      throws IOException, VerificationException, BadInputException {
    if (Files.exists(dir.resolve("entries.jsonl"))) {
      throw new BadInputException(dir + ": a ledger in the format of Bastion 0.1 (entries.jsonl);"
          + " move it aside to start a new one");
    }
    Files.createDirectories(dir.resolve(Segments.DIR));
    Ledger l = new Ledger(dir, signer, exportDir, segmentBytes);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      l.recover(true);
    } catch (IOException | VerificationException | RuntimeException e) {
      l.closeFiles();
      throw e;
    }
    Thread.Builder threads = Thread.ofPlatform().daemon();
    l.writerThread = threads.name("bastion-ledger-writer").start(l::writeLoop);
    l.syncerThread = threads.name("bastion-ledger-sync").start(l::syncLoop);
    l.ackerThread = threads.name("bastion-ledger-ack").start(l::ackLoop);
    return l;
  }

  /** As {@link #open(Path, NoteSigner, Optional)}, exporting nowhere. */
  public static Ledger open(Path dir, NoteSigner signer)
      throws IOException, VerificationException, BadInputException {
    return open(dir, signer, Optional.empty());
  }

  /**
   * Brings the state to the last signed checkpoint, after checking it; cuts off what follows it.
   * Called with the directory lock held, at open and whenever another writer committed.
   */
  private void recover(boolean atOpen) throws IOException, VerificationException {
    closeFiles();
    checkDerivedTypes(dir);
    tree = TreeStore.open(dir.resolve(TREE));
    offsets = FileChannel.open(dir.resolve(OFFSETS), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    List<Segments.Segment> segs = Segments.list(dir);
    long[] at = null;
    Segments.Segment last = null;
    // Segments after the last one with a checkpoint: started but never committed to, so nothing
    // in them was acknowledged. They are removed only once the checks below hold: a damaged
    // checkpoint line also leaves a segment without one, and that may be evidence.
    List<Path> uncommitted = new ArrayList<>();
    for (int i = segs.size() - 1; i >= 0 && at == null; i--) {
      last = segs.get(i);
      at = Segments.lastCheckpoint(last.path());
      if (at == null) {
        if (i == 0) {
          break;
        }
        uncommitted.add(last.path());
      }
    }
    if (at == null) {
      if (!segs.isEmpty() && Files.size(segs.get(0).path()) > 0) {
        throw new VerificationException(segs.get(0).path()
            + ": entries without a signed checkpoint; run 'bastion audit verify'");
      }
      if (tree.size() > 0) {
        throw new VerificationException(
            dir + ": a stored tree without segments; the entries were removed");
      }
      Checkpoint local = localCheckpoint(dir, verifier);
      if (local != null && local.size() > 0) {
        throw truncated(dir, 0, local.size(), RUN_VERIFY);
      }
      create();
      return;
    }
    String where = last.path() + " at byte " + at[0];
    byte[] line = Segments.read(last.path(), at[0], (int) (at[1] - at[0] - 1));
    byte[] signed = Segments.noteOf(line, where);
    Checkpoint cp = checkpointOf(signed, where);
    if (cp.size() < last.first()) {
      throw new VerificationException(where + ": checkpoint of " + cp.size()
          + " entries in a segment that starts at entry " + last.first());
    }
    // The exported copy of the checkpoint is written only once the segment holding it was
    // forced: one ahead of the segments, or off their tree, shows they were cut or rewritten.
    // Opening must not go on from there: the next export would overwrite that evidence.
    Checkpoint local = localCheckpoint(dir, verifier);
    if (local != null && !local.origin().equals(cp.origin())) {
      if (local.size() > 0) {
        throw replaced(dir, local.origin(), cp.origin(), RUN_VERIFY);
      }
      local = null; // an empty log's: nothing it vouches for can be lost
    }
    if (local != null && local.size() > cp.size()) {
      throw truncated(dir, cp.size(), local.size(), RUN_VERIFY);
    }
    // The newest checkpoint exported elsewhere, checked at open: a log cut or rewritten behind
    // it, with the local copy removed or put back to match, is refused before anything is cut
    // or exported over it.
    Export export = atOpen && exportDir.isPresent() ? newestExport(exportDir.get(), verifier)
        : null;
    Checkpoint exported = export == null ? null : export.checkpoint();
    if (exported != null) {
      checkExport(export, cp);
    }
    // The derived files: cut what no checkpoint covers, rebuild what a crash left behind. Only
    // the part the exported checkpoint covers was forced before it was written: past it, a power
    // loss may have left zeroed pages in files whose length looks right, so that part is rebuilt
    // from the segments (about a second of entries).
    long derived = Math.min(tree.size(), offsets.size() / 8);
    derived = Math.min(derived, Math.min(cp.size(), local == null ? 0 : local.size()));
    if (tree.size() != derived) {
      tree.truncate(derived);
    }
    offsets.truncate(derived * 8);
    if (derived < cp.size()) {
      rebuild(Segments.list(dir), derived, cp.size());
    }
    if (!MessageDigest.isEqual(tree.root(), cp.rootHash())) {
      // The tree is derived: a power loss can leave unsynced pages of it zeroed. Rebuild it from
      // the segments, which are the record; only if they disagree with the signature is it
      // tampering.
      tree.truncate(0);
      offsets.truncate(0);
      rebuild(Segments.list(dir), 0, cp.size());
    }
    if (!MessageDigest.isEqual(tree.root(), cp.rootHash())) {
      throw new VerificationException("ledger: the signed checkpoint of " + cp.size()
          + " entries does not match the stored tree; run 'bastion audit verify'");
    }
    if (local != null && local.size() > 0
        && !MessageDigest.isEqual(tree.root(local.size()), local.rootHash())) {
      throw rewritten(dir, local.size(), RUN_VERIFY);
    }
    if (exported != null && exported.size() > 0
        && !MessageDigest.isEqual(tree.root(exported.size()), exported.rootHash())) {
      throw rewrittenBehind(export.file(), exported.size(), RUN_VERIFY);
    }
    for (Path p : uncommitted) {
      Files.delete(p);
      AtomicFiles.fsyncDirectory(p.getParent());
    }
    segment = FileChannel.open(last.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (segment.size() > at[1]) {
      segment.truncate(at[1]);
      segment.force(true);
    }
    segmentFirst = last.first();
    segmentLength = at[1];
    origin = cp.origin();
    size = cp.size();
    root = cp.rootHash();
    note = signed;
  }

  /** What a writer that refuses to open says to do. */
  static final String RUN_VERIFY = "; run 'bastion audit verify'";

  /**
   * The segments hold {@code present} entries, fewer than the {@code covered} of the signed local
   * checkpoint copy: the log was cut behind it.
   */
  static VerificationException truncated(Path dir, long present, long covered, String then) {
    return truncatedBehind(dir.resolve(CHECKPOINT), present, covered, then);
  }

  /** As {@link #truncated}, behind the signed checkpoint in {@code file} (a copy or an export). */
  static VerificationException truncatedBehind(Path file, long present, long covered,
      String then) {
    return new VerificationException("ledger entry " + present + ": missing; " + file
        + ", signed, covers " + covered + " entries: the log was truncated" + then);
  }

  /** The signed local checkpoint copy is of another log than the segments. */
  static VerificationException replaced(Path dir, String localOrigin, String origin,
      String then) {
    return new VerificationException("ledger: " + dir.resolve(CHECKPOINT) + ", signed, is of log "
        + localOrigin + ", the segments are of log " + origin + ": the log was replaced" + then);
  }

  /** The first {@code size} entries no longer have the root of the signed local copy. */
  static VerificationException rewritten(Path dir, long size, String then) {
    return rewrittenBehind(dir.resolve(CHECKPOINT), size, then);
  }

  /** As {@link #rewritten}, against the signed checkpoint in {@code file}. */
  static VerificationException rewrittenBehind(Path file, long size, String then) {
    return new VerificationException("ledger: its first " + size + " entries no longer have the"
        + " root of " + file + ", signed: history was rewritten" + then);
  }

  /** How a damaged derived file is mended. */
  static final String REPAIR_REBUILDS = "; 'bastion audit repair' rebuilds it";

  private static final Pattern LEVEL_FILE = Pattern.compile("level-[0-9]{2}\\.bin");

  /**
   * Checks that the derived files that are there have the right type: the tree a directory of
   * regular level files, the offsets a regular file. A repair replaces a wrong one; nothing else
   * writes over what took its place.
   *
   * @throws VerificationException naming the first wrongly typed one
   */
  static void checkDerivedTypes(Path dir) throws IOException, VerificationException {
    Path tree = dir.resolve(TREE);
    if (Files.exists(tree, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(tree)) {
      throw new VerificationException(tree + " is not a directory, so the stored tree is"
          + " damaged" + REPAIR_REBUILDS);
    }
    for (Path p : levelFiles(dir)) {
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new VerificationException(p + " is not a regular file, so it is damaged"
            + REPAIR_REBUILDS);
      }
    }
    Path off = dir.resolve(OFFSETS);
    if (Files.exists(off, LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(off, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException(off + " is not a regular file, so it is damaged"
          + REPAIR_REBUILDS);
    }
  }

  /** The level files of the stored tree, in order; none if it is not a directory. */
  static List<Path> levelFiles(Path dir) throws IOException {
    Path tree = dir.resolve(TREE);
    if (!Files.isDirectory(tree)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(tree)) {
      return s.filter(p -> LEVEL_FILE.matcher(p.getFileName().toString()).matches()).sorted()
          .toList();
    }
  }

  /** Removes whatever is at {@code p}, a directory with what it holds. */
  private static void deleteAll(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  /** Removes derived files of the wrong type, so that a repair can put the right ones there. */
  private static void removeWronglyTyped(Path dir) throws IOException {
    Path tree = dir.resolve(TREE);
    if (Files.exists(tree, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(tree)) {
      Files.delete(tree);
    }
    for (Path p : levelFiles(dir)) {
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        deleteAll(p);
      }
    }
    Path off = dir.resolve(OFFSETS);
    if (Files.exists(off, LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(off, LinkOption.NOFOLLOW_LINKS)) {
      deleteAll(off);
    }
  }

  /**
   * The checkpoint last exported to {@link #CHECKPOINT} (written once the segments and the
   * derived files were forced), or null if it is missing, unreadable or not signed by {@code
   * key}: it is a copy, and only one that verifies is evidence.
   */
  static Checkpoint localCheckpoint(Path dir, NoteVerifier key) {
    return exportedCheckpoint(dir.resolve(CHECKPOINT), key);
  }

  /** The checkpoint exported to {@code f}; null if it is missing or not signed by {@code key}. */
  static Checkpoint exportedCheckpoint(Path f, NoteVerifier key) {
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > 64 << 10) {
        return null;
      }
      return Checkpoint.parse(key.verify(Files.readAllBytes(f)));
    } catch (IOException | BadInputException | VerificationException e) {
      return null;
    }
  }

  private static final Pattern EXPORT_FILE = Pattern.compile("checkpoint-[0-9]{20}");

  /** A checkpoint exported to {@link #exportDir}, and its file. */
  public record Export(Path file, Checkpoint checkpoint) {}

  /**
   * The export of the largest tree in {@code exportDir} signed by {@code key}: files {@code
   * checkpoint-N} (N of 20 digits) tried from the largest N down, passing over any that does not
   * verify or whose N is not its size (junk, another ledger's, one renamed), so that no such file
   * hides the exports below it. Null if there is none.
   */
  public static Export newestExport(Path exportDir, NoteVerifier key) throws IOException {
    if (!Files.isDirectory(exportDir)) {
      return null;
    }
    List<String> names = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(exportDir)) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        if (EXPORT_FILE.matcher(name).matches()) {
          names.add(name);
        }
      }
    }
    names.sort(Comparator.reverseOrder());
    for (String name : names) {
      Path f = exportDir.resolve(name);
      Checkpoint cp = exportedCheckpoint(f, key);
      if (cp != null && name.equals(String.format("checkpoint-%020d", cp.size()))) {
        return new Export(f, cp);
      }
    }
    return null;
  }

  /**
   * Checks the segments' latest checkpoint {@code latest} against an export: of the same log, and
   * not of fewer entries. (Whether the entries it covers still have its root needs the tree.)
   */
  static void checkExport(Export export, Checkpoint latest) throws VerificationException {
    Checkpoint exported = export.checkpoint();
    if (!exported.origin().equals(latest.origin())) {
      if (exported.size() > 0) {
        throw new VerificationException("ledger: " + export.file() + ", signed, is of log "
            + exported.origin() + ", the segments are of log " + latest.origin() + ": the log"
            + " was replaced" + RUN_VERIFY);
      }
      return;
    }
    if (exported.size() > latest.size()) {
      throw truncatedBehind(export.file(), latest.size(), exported.size(), RUN_VERIFY);
    }
  }

  private Checkpoint checkpointOf(byte[] signed, String where) throws VerificationException {
    byte[] text;
    try {
      text = verifier.verify(signed);
    } catch (BadInputException | VerificationException e) {
      throw new VerificationException(where + ": checkpoint: " + e.getMessage(), e);
    }
    try {
      return Checkpoint.parse(text);
    } catch (BadInputException e) {
      throw new VerificationException(where + ": checkpoint: " + e.getMessage(), e);
    }
  }

  /** Re-derives the tree and the offsets of entries {@code from} to {@code to - 1}. */
  private void rebuild(List<Segments.Segment> segs, long from, long to)
      throws IOException, VerificationException {
    rebuild(segs, from, to, tree, offsets);
  }

  /**
   * Rebuilds the derived files of the ledger in {@code dir} (the stored tree and the entry
   * offsets) from its segments, in place, once every entry and checkpoint verifies against {@code
   * key}. For a tree or offsets file that {@code bastion audit verify} found damaged: their
   * content follows from the entries, so a ledger open in another process (which takes the same
   * directory lock for each batch) writes the same bytes at the same places afterwards.
   *
   * @return the number of entries the rebuilt files cover
   * @throws VerificationException if the ledger itself does not verify (nothing is rebuilt)
   */
  public static long repair(Path dir, NoteVerifier key)
      throws IOException, VerificationException, BadInputException {
    if (!Files.isDirectory(dir.resolve(Segments.DIR))) {
      throw new BadInputException(dir + ": no ledger here");
    }
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      long n = LedgerVerifier.verifyHeld(dir, key).size();
      removeWronglyTyped(dir);
      // The tree is built aside and copied into the files in place: a ledger open in another
      // process holds them open, and would go on writing into deleted ones were they replaced.
      Path aside = dir.resolve(TREE + ".rebuild");
      deleteAside(aside);
      try (TreeStore t = TreeStore.open(aside);
          FileChannel off = FileChannel.open(dir.resolve(OFFSETS), StandardOpenOption.CREATE,
              StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        off.truncate(0);
        rebuild(Segments.list(dir), 0, n, t, off);
      }
      Path live = dir.resolve(TREE);
      Files.createDirectories(live);
      List<Path> built;
      try (var files = Files.list(aside)) {
        built = files.sorted().toList();
      }
      for (Path from : built) {
        try (FileChannel src = FileChannel.open(from, StandardOpenOption.READ);
            FileChannel dst = FileChannel.open(live.resolve(from.getFileName().toString()),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          long size = src.size();
          for (long pos = 0; pos < size; ) {
            long moved = dst.transferFrom(src, pos, size - pos);
            if (moved <= 0) {
              throw new IOException(from + ": ends before its " + size + " bytes");
            }
            pos += moved;
          }
          dst.truncate(size);
          dst.force(true);
        }
      }
      AtomicFiles.fsyncDirectory(live);
      deleteAside(aside);
      return n;
    }
  }

  /** Removes the directory a repair builds its tree in, if it is there. */
  private static void deleteAside(Path aside) throws IOException {
    if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
      deleteAll(aside);
    }
  }

  private static void rebuild(List<Segments.Segment> segs, long from, long to, TreeStore tree,
      FileChannel offsets) throws IOException, VerificationException {
    int start = 0;
    for (int i = 0; i < segs.size(); i++) {
      if (segs.get(i).first() <= from) {
        start = i;
      }
    }
    long[] next = {segs.get(start).first()};
    ByteBuffer off = ByteBuffer.allocate(8);
    for (int i = start; i < segs.size() && next[0] < to; i++) {
      Segments.Segment s = segs.get(i);
      if (s.first() != next[0]) {
        throw new VerificationException(s.path() + ": starts at entry " + s.first()
            + ", expected " + next[0]);
      }
      Segments.scan(s.path(), 0, Long.MAX_VALUE, (offset, bytes) -> {
        if (Segments.isCheckpointLine(bytes) || next[0] >= to) {
          return;
        }
        long index = next[0]++;
        if (index < from) {
          return;
        }
        Segments.Entry e = Segments.parseEntry(index, bytes);
        tree.append(e.leaf());
        off.clear();
        offsets.write(off.putLong(offset).flip(), index * 8);
      });
    }
    if (next[0] < to) {
      throw new VerificationException(
          "ledger entry " + next[0] + ": missing; the signed checkpoint covers " + to);
    }
    tree.sync();
    offsets.force(false);
  }

  /** A new, empty ledger: its origin and a signed checkpoint of size 0. */
  private void create() throws IOException {
    byte[] id = new byte[8];
    new SecureRandom().nextBytes(id);
    origin = "bastion/ledger/" + HexFormat.of().formatHex(id);
    Path first = Segments.file(dir, 0);
    segment = FileChannel.open(first, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    segmentFirst = 0;
    segmentLength = 0;
    byte[] signed = sign(0, tree.root());
    byte[] line = Segments.checkpointLine(signed);
    ByteBuffer b = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
    while (b.hasRemaining()) {
      segmentLength += segment.write(b, segmentLength);
    }
    segment.force(true);
    AtomicFiles.fsyncDirectory(first.getParent());
    size = 0;
    root = tree.root();
    note = signed;
    exported = false;
    export(true);
  }

  private byte[] sign(long n, byte[] rootHash) {
    return signer.sign(new Checkpoint(origin, n, rootHash, List.of()).body());
  }

  /**
   * Appends {@code event} and returns its index, once it and a signed checkpoint over it are
   * durable (fsync). Same as {@code appendAsync(event).join()}.
   *
   * @throws UncheckedIOException if the disk refuses the write: the caller must not go on as if the
   *     event were recorded
   * @throws IllegalStateException if the ledger was tampered with since it was opened, or closed
   */
  public long append(Event event) {
    try {
      return appendAsync(event).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        // Rethrown on this thread, with the writer's failure as the cause.
        if (r instanceof UncheckedIOException u) {
          throw new UncheckedIOException(u.getMessage(), u.getCause());
        }
        throw new IllegalStateException(r.getMessage(), r);
      }
      throw e;
    }
  }

  /**
   * Queues {@code event}; the future completes with its index once it and a signed checkpoint
   * over it are durable (fsync), or exceptionally if they cannot be made so.
   *
   * <p>Group commit in stages, each on its own thread: the writer writes every queued event and
   * one signed checkpoint over them to the segment; the syncer forces the segment to the device;
   * the acker then completes the batch's futures. The next batch is prepared (lines, hashes,
   * tree, signature) while the previous one is being forced, and written by the syncer as soon
   * as that force returns; events queue into the one after.
   *
   * @throws IllegalStateException if the ledger is closed, or a force failed before
   */
  public CompletableFuture<Long> appendAsync(Event event) {
    // The work that does not need the index is done here, on the appending thread (in a server,
    // one of many): the event's canonical JSON, and its leaf hash up to the index, so that the
    // writer, which every batch waits for, only hashes the line's last block or two.
    byte[] canonical = event.canonical();
    MessageDigest leaf = leafDigestBeforeEvent();
    leaf.update(canonical);
    Queued queued = new Queued(canonical, leaf);
    CompletableFuture<Long> ack = new CompletableFuture<>();
    queueLock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the ledger in " + dir + " is closed");
      }
      if (broken != null) {
        throw new IllegalStateException(broken.getMessage(), broken);
      }
      open.events.add(queued);
      open.acks.add(ack);
      if (open.events.size() == 1) {
        toWrite.signal();
      }
    } finally {
      queueLock.unlock();
    }
    Consumer<Event> o = observer;
    if (o != null) {
      o.accept(event);
    }
    return ack;
  }

  /** The writer thread: one batch at a time, at most one ahead of the syncer. */
  private void writeLoop() {
    while (true) {
      Batch b;
      queueLock.lock();
      try {
        while (!(closed && open.events.isEmpty())
            && (open.events.isEmpty() || !unsynced.isEmpty())) {
          toWrite.awaitUninterruptibly();
        }
        if (open.events.isEmpty()) {
          writerDone = true;
          toSync.signal();
          return;
        }
        b = open;
        open = new Batch();
      } finally {
        queueLock.unlock();
      }
      RuntimeException failure = broken;
      if (failure == null) {
        write(b);
        failure = b.failure;
      }
      if (failure != null) {
        b.fail(failure);
      }
    }
  }

  /** The syncer thread: forces what was written and completes those batches. */
  private void syncLoop() {
    while (true) {
      List<Batch> covered;
      queueLock.lock();
      try {
        while (unsynced.isEmpty() && !writerDone) {
          toSync.awaitUninterruptibly();
        }
        if (unsynced.isEmpty()) {
          syncerDone = true;
          toAck.signal();
          return;
        }
        covered = new ArrayList<>(unsynced);
        unsynced.clear();
      } finally {
        queueLock.unlock();
      }
      // Write the prepared bytes; the writer, which holds the directory lock, waits for this.
      List<Batch> writtenOk = new ArrayList<>();
      for (Batch c : covered) {
        IOException error = null;
        try {
          long p = c.pos;
          while (c.out.hasRemaining()) {
            p += c.channel.write(c.out, p);
          }
        } catch (IOException e) {
          error = e;
        }
        queueLock.lock();
        try {
          c.writeError = error;
          c.written = true;
          writtenCond.signalAll();
        } finally {
          queueLock.unlock();
        }
        if (error == null) {
          writtenOk.add(c);
        }
      }
      covered = writtenOk;
      if (covered.isEmpty()) {
        continue;
      }
      RuntimeException failure = broken;
      try {
        if (failure == null) {
          sync();
        }
        if (failure == null) {
          syncs++;
        }
      } catch (IOException e) {
        failure = new UncheckedIOException("cannot force the ledger in " + dir
            + " to the device; reopen it (what was not acknowledged is cut off)", e);
      } catch (RuntimeException e) {
        failure = e;
      }
      if (failure != null) {
        // After a failed fsync the page cache cannot be trusted to reach the device: nothing
        // written since the last good one is acknowledged, now or later.
        queueLock.lock();
        try {
          broken = failure;
        } finally {
          queueLock.unlock();
        }
        for (Batch c : covered) {
          c.fail(failure);
        }
        continue;
      }
      // Completing the acknowledgements (and whatever waits on them) is left to the acker, so
      // that the next force starts at once.
      queueLock.lock();
      try {
        durable.addAll(covered);
        toAck.signal();
      } finally {
        queueLock.unlock();
      }
    }
  }

  /** The acker thread: completes the acknowledgements of durable batches. */
  private void ackLoop() {
    while (true) {
      List<Batch> done;
      queueLock.lock();
      try {
        while (durable.isEmpty() && !syncerDone) {
          toAck.awaitUninterruptibly();
        }
        if (durable.isEmpty()) {
          return;
        }
        done = new ArrayList<>(durable);
        durable.clear();
      } finally {
        queueLock.unlock();
      }
      for (Batch c : done) {
        for (int i = 0; i < c.acks.size(); i++) {
          c.acks.get(i).complete(c.first + i);
        }
      }
    }
  }

  /** Forces the segments written since the last force; retired segments are closed after. */
  private void sync() throws IOException {
    channelLock.lock();
    try {
      for (FileChannel c : retired) {
        c.force(false);
        c.close();
      }
      retired.clear();
      FileChannel s = segment;
      if (s != null && s.isOpen()) {
        s.force(false);
      }
    } finally {
      channelLock.unlock();
    }
  }

  /** Writes a batch and a signed checkpoint over it to the segment; sets its first index. */
  private void write(Batch batch) {
    RuntimeException failure = null;
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      if (segment == null || !segment.isOpen() || derivedStale || changedOnDisk()) {
        derivedStale = false;
        recover(false);
      }
      if (segmentLength >= segmentBytes) {
        roll();
      }
      long base = size;
      long startLength = segmentLength;
      try {
        // Each line {"event":E,"i":N} is put straight into one reusable buffer and hashed in
        // pieces: no copy per entry.
        int need = 512;
        for (Queued q : batch.events) {
          need += q.canonical().length + 40;
        }
        ByteBuffer out = buffer(need + 4096);
        ByteBuffer offs = ByteBuffer.allocate(batch.events.size() * 8);
        long index = base;
        for (Queued q : batch.events) {
          int n = tail(index);
          offs.putLong(startLength + out.position());
          out.put(ENTRY_HEAD).put(q.canonical()).put(tail, 0, n).put((byte) '\n');
          MessageDigest leaf = q.leaf();
          leaf.update(tail, 0, n);
          tree.append(leaf.digest());
          index++;
        }
        byte[] newRoot = tree.root();
        byte[] signed = sign(index, newRoot);
        byte[] cpLine = Segments.checkpointLine(signed);
        out = ensure(out, cpLine.length + 1);
        out.put(cpLine).put((byte) '\n');
        out.flip();
        // The syncer writes the bytes right after the force in progress returns, then forces
        // them: a write into the file while it is being forced makes that force take about twice
        // as long here (measured), and the syncer writing them itself keeps a hand-over between
        // threads off the path from one force to the next. Everything above ran during that
        // force; the directory lock stays held here until the bytes are written.
        long end = startLength + out.remaining();
        batch.first = base;
        batch.out = out;
        batch.pos = startLength;
        batch.channel = segment;
        // The new state is in place before the syncer can acknowledge anything; put back if the
        // write fails.
        byte[] oldRoot = root;
        byte[] oldNote = note;
        segmentLength = end;
        root = newRoot;
        note = signed;
        size = index;
        queueLock.lock();
        try {
          unsynced.add(batch);
          toSync.signal();
          while (!batch.written) {
            writtenCond.awaitUninterruptibly();
          }
        } finally {
          queueLock.unlock();
        }
        if (batch.writeError != null) {
          segmentLength = startLength;
          root = oldRoot;
          note = oldNote;
          size = base;
          throw batch.writeError;
        }
        // The tree is written out with the exported checkpoint (at most a second later), at a
        // roll and at close; after a crash it is rebuilt from the segments.
        exported = false;
        commits++;
        try {
          offs.flip();
          while (offs.hasRemaining()) {
            offsets.write(offs, base * 8 + offs.position());
          }
          export(false);
        } catch (IOException e) {
          // The entries are in the segment: nothing undoes them. The derived files are rebuilt
          // from the segments before the next batch.
          derivedStale = true;
        }
      } catch (IOException e) {
        undo(base, startLength);
        throw e;
      }
    } catch (IOException e) {
      failure = new UncheckedIOException("cannot append to the ledger in " + dir, e);
    } catch (VerificationException e) {
      failure = new IllegalStateException(
          "the ledger in " + dir + " was changed outside Bastion: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      failure = e;
    }
    batch.failure = failure;
  }

  private static final byte[] ENTRY_HEAD = "{\"event\":".getBytes(StandardCharsets.US_ASCII);

  /**
   * An event as queued: its canonical JSON, and the RFC 9162 leaf hash of its line {@code
   * {"event":E,"i":N}} fed all but the {@code ,"i":N}} that only the writer knows.
   */
  private record Queued(byte[] canonical, MessageDigest leaf) {}

  /** SHA-256 fed {@code 0x00 || {"event":}, never changed after: only copied. */
  private static final MessageDigest LEAF_PREFIX = leafPrefix();

  private static MessageDigest leafPrefix() {
    MessageDigest md = MerkleHasher.sha256();
    md.update((byte) 0x00);
    md.update(ENTRY_HEAD);
    return md;
  }

  /** A fresh copy of {@link #LEAF_PREFIX}; safe from any thread, as the original never changes. */
  private static MessageDigest leafDigestBeforeEvent() {
    try {
      return (MessageDigest) LEAF_PREFIX.clone();
    } catch (CloneNotSupportedException e) {
      return leafPrefix(); // a provider whose SHA-256 cannot be copied: feed a new one
    }
  }

  /** Puts {@code ,"i":index}} into {@link #tail}; returns its length. */
  private int tail(long index) {
    int n = 0;
    tail[n++] = ',';
    tail[n++] = '"';
    tail[n++] = 'i';
    tail[n++] = '"';
    tail[n++] = ':';
    int digits = 1;
    for (long v = index / 10; v > 0; v /= 10) {
      digits++;
    }
    long v = index;
    for (int d = n + digits - 1; d >= n; d--) {
      tail[d] = (byte) ('0' + (v % 10));
      v /= 10;
    }
    n += digits;
    tail[n++] = '}';
    return n;
  }

  /** The writer's buffer, cleared, with room for {@code n} bytes. */
  private ByteBuffer buffer(int n) {
    if (writeBuffer == null || writeBuffer.capacity() < n) {
      writeBuffer = ByteBuffer.allocateDirect(Math.max(n, 1 << 16));
    }
    return writeBuffer.clear();
  }

  /** {@code b}, or a larger copy of it, with room for {@code more} bytes. */
  private ByteBuffer ensure(ByteBuffer b, int more) {
    if (b.remaining() >= more) {
      return b;
    }
    ByteBuffer bigger = ByteBuffer.allocateDirect(b.position() + more + (1 << 16));
    bigger.put(b.flip());
    writeBuffer = bigger;
    return bigger;
  }

  /** Puts the files back to {@code n} entries after a failed commit. */
  private void undo(long n, long length) {
    try {
      segment.truncate(length);
      segment.force(true);
      tree.truncate(n);
      offsets.truncate(n * 8);
    } catch (IOException | RuntimeException e) {
      // The next commit or open recovers from the segments: what follows the last checkpoint
      // is cut off there.
      closeFiles();
    }
  }

  /**
   * Whether another writer committed since this one last did: the segment grew, or another
   * writer started the next segment (named by the size this one knows).
   */
  private boolean changedOnDisk() throws IOException {
    // Another writer starts a segment only once this one is full (every writer uses the same
    // segment size), so only then can one have appeared.
    return segment.size() != segmentLength
        || (segmentLength >= segmentBytes && Files.exists(Segments.file(dir, size)));
  }

  /** Starts a new segment after the current one, which ends with a checkpoint line. */
  private void roll() throws IOException {
    Path next = Segments.file(dir, size);
    FileChannel ch = FileChannel.open(next, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    AtomicFiles.fsyncDirectory(next.getParent());
    channelLock.lock();
    try {
      retired.add(segment); // forced, then closed, by the next sync
      segment = ch;
    } finally {
      channelLock.unlock();
    }
    segmentFirst = size;
    segmentLength = 0;
    // The tree and offsets up to here are durable before the old segment is left behind.
    tree.sync();
    offsets.force(false);
  }

  /** Copies the latest checkpoint out of the segments, at most once a second unless forced. */
  private void export(boolean force) throws IOException {
    long now = System.nanoTime();
    if (exported || (!force && now - lastExport < EXPORT_INTERVAL_NANOS)) {
      return;
    }
    // The segments first: a copy of the checkpoint ahead of them would read as a truncation.
    sync();
    tree.sync();
    offsets.force(false);
    AtomicFiles.write(dir.resolve(CHECKPOINT), note);
    if (exportDir.isPresent()) {
      Path f = exportDir.get().resolve(String.format("checkpoint-%020d", size));
      if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
        AtomicFiles.write(f, note);
      } else if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > 64 << 10
          || !MessageDigest.isEqual(Files.readAllBytes(f), note)) {
        // An exported copy is evidence: one that differs is never written over, whether this
        // log's history was rewritten or another log exports to the same place.
        throw new IOException(f + " already holds another checkpoint of " + size + " entries"
            + " (give each ledger its own export directory, or run 'bastion audit verify')");
      }
    }
    lastExport = now;
    exported = true;
  }

  /**
   * Lets {@code o} see every event appended through this object, after it is queued, on the
   * appending thread (a monitor that raises alerts by appending them).
   */
  public void observe(Consumer<Event> o) {
    observer = o;
  }

  /** The number of entries. */
  public long size() {
    return size;
  }

  /** The current RFC 9162 root. */
  public byte[] root() {
    return root.clone();
  }

  /** The latest signed checkpoint (a C2SP signed note). */
  public byte[] checkpoint() {
    return note.clone();
  }

  /** How many batches (each with one signed checkpoint) this object wrote. */
  public long commits() {
    return commits;
  }

  /** How many times this object forced the log to the device (each acknowledging a batch). */
  public long syncs() {
    return syncs;
  }

  /** The checkpoint origin line of this log. */
  public String origin() {
    return origin;
  }

  public Path directory() {
    return dir;
  }

  /** Exports the latest checkpoint and closes; appends after this fail. */
  @Override
  public void close() throws IOException {
    queueLock.lock();
    try {
      if (closed && writerThread == null) {
        return;
      }
      closed = true;
      toWrite.signalAll(); // the writer drains what was queued, the syncer forces it
    } finally {
      queueLock.unlock();
    }
    boolean interrupted = false;
    for (Thread t : new Thread[] {writerThread, syncerThread, ackerThread}) {
      while (t != null && t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    writerThread = null;
    syncerThread = null;
    ackerThread = null;
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      if (broken == null && segment != null && segment.isOpen() && !changedOnDisk()) {
        export(true);
      }
    } catch (IOException e) {
      // What was appended is in the segments, forced; only its copy could not be made.
      throw new IOException("the ledger in " + dir + " holds every entry appended, but its"
          + " latest checkpoint could not be exported: " + e.getMessage(), e);
    } finally {
      closeFiles();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void closeFiles() {
    channelLock.lock();
    try {
      for (FileChannel c : retired) {
        try {
          c.force(false);
          c.close();
        } catch (IOException e) {
          // As below.
        }
      }
      retired.clear();
      if (segment != null && segment.isOpen()) {
        try {
          segment.force(false);
        } catch (IOException e) {
          // As below.
        }
      }
    } finally {
      channelLock.unlock();
    }
    for (AutoCloseable c : new AutoCloseable[] {segment, offsets, tree}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // Closing after a failure: the files are recovered from the segments on open.
        }
      }
    }
    segment = null;
    offsets = null;
    tree = null;
  }
}
