package dev.bastion.ledger.tlog;

import dev.bastion.core.AtomicFiles;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * An append-only RFC 9162 Merkle tree of leaf hashes, kept in files, with roots and proofs for the
 * tree as it is and as it was at any earlier size.
 *
 * <p>Layout: {@code level-00.bin}, {@code level-01.bin}, ... in one directory. Level {@code k}
 * holds, in order and 32 bytes each, the hash of every complete block of {@code 2^k} leaves that
 * starts at a multiple of {@code 2^k}; level 0 holds the leaf hashes. With {@code n} leaves, level
 * {@code k} has {@code n >> k} entries. Every node of every tree size is then either one stored
 * hash or the hash of at most 63 stored ones, so a root or a proof node costs O(log n) positional
 * reads, and memory stays O(log n) whatever the size: the write buffers and the frontier (the last
 * complete subtree at each level) are all that is held.
 *
 * <p>Durability: {@link #append} writes into buffers; nothing is durable until {@link #sync}.
 * {@link #truncate} and {@link #close} are durable on return. After a crash, {@link #open} repairs
 * the tail: files are cut to whole hashes, and each upper level is made to agree with the level
 * below (extra hashes dropped, missing ones and a tail that does not match its children
 * recomputed). Level 0 holds the leaves, which cannot be recomputed here: a caller that keeps the
 * entries elsewhere should compare the last leaf hashes after opening, and {@link #truncate} to the
 * last good one.
 *
 * <p>After an I/O error in {@link #append}, {@link #sync} or {@link #truncate} the in-memory state
 * may not match the files; every later call then throws {@link IOException} until the store is
 * closed and opened again (which repairs it).
 *
 * <p>Not thread-safe: callers serialise access (the ledger does). One process at a time: the caller
 * holds the directory lock.
 */
public final class TreeStore implements AutoCloseable {
  private static final int HASH = Rfc9162.HASH_LENGTH;

  /** Levels 0 to 62 cover every size the files can address. */
  private static final int MAX_LEVELS = 63;

  /** The largest size whose level-0 file length still fits a {@code long}. */
  private static final long MAX_SIZE = Long.MAX_VALUE / HASH;

  /** Level 0 gets this write buffer; level k gets it shifted right by k, down to the minimum. */
  private static final int WRITE_BUFFER = 1 << 20;

  private static final int MIN_WRITE_BUFFER = 4 << 10;

  /** Chunk for the sequential reads of {@link #open}'s repair. */
  private static final int READ_CHUNK = 1 << 16;

  private final Path dir;
  private final Level[] levels = new Level[MAX_LEVELS];

  /** {@code frontier[k]} is the last entry of level k when bit k of the size is set, else null. */
  private final byte[][] frontier = new byte[MAX_LEVELS][];

  private final MessageDigest md = Rfc9162.sha256();
  private final ByteBuffer scratch = ByteBuffer.allocateDirect(HASH);
  private long size;
  private boolean dirDirty;
  private boolean failed;
  private boolean closed;

  /** One level file: entries [0, flushed) are in the file, the rest in {@code buf}. */
  private static final class Level {
    final FileChannel ch;
    final int bufferSize;
    long flushed;
    ByteBuffer buf;

    Level(FileChannel ch, int bufferSize) {
      this.ch = ch;
      this.bufferSize = bufferSize;
    }

    long count() {
      return flushed + (buf == null ? 0 : buf.position() / HASH);
    }

    void write(byte[] hash) throws IOException {
      if (buf == null) {
        buf = ByteBuffer.allocateDirect(bufferSize);
      } else if (buf.remaining() < HASH) {
        flush();
      }
      buf.put(hash);
    }

    void flush() throws IOException {
      if (buf == null || buf.position() == 0) {
        return;
      }
      buf.flip();
      long pos = flushed * HASH;
      long entries = buf.remaining() / HASH;
      while (buf.hasRemaining()) {
        pos += ch.write(buf, pos);
      }
      buf.clear();
      flushed += entries;
    }
  }

  private TreeStore(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens the store in {@code dir}, creating the directory and an empty store if needed, and
   * repairs a torn tail left by a crash (see the class comment).
   *
   * @throws IOException if the files cannot be read, written or repaired
   */
  public static TreeStore open(Path dir) throws IOException {
    Files.createDirectories(dir);
    TreeStore store = new TreeStore(dir);
    try {
      store.recover();
    } catch (IOException | RuntimeException | Error e) {
      store.closeChannels(e);
      throw e;
    }
    return store;
  }

  /** The number of leaves. */
  public long size() {
    return size;
  }

  /**
   * Appends a leaf hash (as {@link Rfc9162#leafHash} computes it). Buffered: readable at once, but
   * not durable until {@link #sync}.
   *
   * @throws IllegalArgumentException if {@code leafHash} is not 32 bytes
   */
  public void append(byte[] leafHash) throws IOException {
    checkUsable();
    if (leafHash.length != HASH) {
      throw new IllegalArgumentException(
          "a leaf hash is " + HASH + " bytes, not " + leafHash.length);
    }
    if (size >= MAX_SIZE) {
      throw new IllegalStateException("the tree is full at " + size + " leaves");
    }
    boolean done = false;
    try {
      byte[] h = leafHash.clone();
      level(0).write(h);
      int k = 0;
      while (((size >>> k) & 1) == 1) {
        h = Rfc9162.nodeHash(md, frontier[k], h);
        frontier[k] = null;
        k++;
        level(k).write(h);
      }
      frontier[k] = h;
      size++;
      done = true;
    } finally {
      failed |= !done;
    }
  }

  /** Writes the buffers out and forces every level file (and the directory, if it gained files). */
  public void sync() throws IOException {
    checkUsable();
    boolean done = false;
    try {
      for (Level l : levels) {
        if (l != null) {
          l.flush();
          l.ch.force(true);
        }
      }
      if (dirDirty) {
        AtomicFiles.fsyncDirectory(dir);
        dirDirty = false;
      }
      done = true;
    } finally {
      failed |= !done;
    }
  }

  /**
   * Drops the leaves at {@code newSize} and after, and every node that covers one of them. Durable
   * on return.
   *
   * @throws IllegalArgumentException if {@code newSize} is negative or greater than {@link #size()}
   */
  public void truncate(long newSize) throws IOException {
    checkUsable();
    if (newSize < 0 || newSize > size) {
      throw new IllegalArgumentException(
          "cannot truncate a tree of " + size + " leaves to " + newSize);
    }
    boolean done = false;
    try {
      // Level 0 first: once it is cut and forced, a crash repairs the other levels to match it.
      for (int k = 0; k < MAX_LEVELS; k++) {
        Level l = levels[k];
        if (l == null) {
          continue;
        }
        l.flush();
        long keep = newSize >>> k;
        if (keep == 0 && k > 0) {
          l.ch.close();
          levels[k] = null;
          Files.deleteIfExists(levelFile(k));
        } else {
          l.ch.truncate(keep * HASH);
          l.ch.force(true);
          l.flushed = keep;
        }
      }
      if (dirDirty) {
        AtomicFiles.fsyncDirectory(dir);
        dirDirty = false;
      }
      size = newSize;
      loadFrontier();
      done = true;
    } finally {
      failed |= !done;
    }
  }

  /** The root of all leaves ({@link Rfc9162#emptyRoot} when there are none); no I/O. */
  public byte[] root() {
    checkOpen();
    if (failed) {
      throw new IllegalStateException(
          "tree store " + dir + " failed an earlier write; close and reopen it to repair");
    }
    byte[] r = null;
    for (int k = 0; k < MAX_LEVELS; k++) {
      if (frontier[k] != null) {
        r = r == null ? frontier[k].clone() : Rfc9162.nodeHash(md, frontier[k], r);
      }
    }
    return r == null ? Rfc9162.emptyRoot() : r;
  }

  /**
   * The root of the tree of the first {@code treeSize} leaves, from at most 63 stored hashes.
   *
   * @throws IllegalArgumentException if {@code treeSize} is negative or greater than {@link
   *     #size()}
   */
  public byte[] root(long treeSize) throws IOException {
    checkUsable();
    if (treeSize < 0 || treeSize > size) {
      throw new IllegalArgumentException(
          "no tree of " + treeSize + " leaves in a store of " + size);
    }
    if (treeSize == size) {
      return root();
    }
    return treeSize == 0 ? Rfc9162.emptyRoot() : subtreeHash(0, treeSize);
  }

  /**
   * The leaf hash at {@code index}.
   *
   * @throws IllegalArgumentException if {@code index} is negative or not below {@link #size()}
   */
  public byte[] leafHash(long index) throws IOException {
    checkUsable();
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("no leaf " + index + " in a tree of " + size);
    }
    return read(0, index);
  }

  /**
   * The inclusion proof of leaf {@code index} in the tree of the first {@code treeSize} leaves (RFC
   * 9162 section 2.1.3.1), from the leaf's sibling up; empty for a tree of one leaf.
   *
   * @throws IllegalArgumentException unless {@code 0 <= index < treeSize <= size()}
   */
  public List<byte[]> inclusionProof(long index, long treeSize) throws IOException {
    checkUsable();
    if (index < 0 || index >= treeSize || treeSize > size) {
      throw new IllegalArgumentException(
          "no leaf " + index + " in a tree of " + treeSize + " (store size " + size + ")");
    }
    List<byte[]> topDown = new ArrayList<>();
    long lo = 0;
    long hi = treeSize;
    while (hi - lo > 1) {
      long k = Long.highestOneBit(hi - lo - 1);
      if (index < lo + k) {
        topDown.add(subtreeHash(lo + k, hi));
        hi = lo + k;
      } else {
        topDown.add(subtreeHash(lo, lo + k));
        lo += k;
      }
    }
    Collections.reverse(topDown);
    return topDown;
  }

  /**
   * The consistency proof from the tree of the first {@code size1} leaves to the tree of the first
   * {@code size2} (RFC 9162 section 2.1.4.1); empty when the sizes are equal.
   *
   * @throws IllegalArgumentException unless {@code 0 < size1 <= size2 <= size()} (no proof from the
   *     empty tree is meaningful: {@link Rfc9162#verifyConsistency} refuses them all)
   */
  public List<byte[]> consistencyProof(long size1, long size2) throws IOException {
    checkUsable();
    if (size1 <= 0 || size1 > size2 || size2 > size) {
      throw new IllegalArgumentException(
          "no consistency proof from " + size1 + " to " + size2 + " (store size " + size + ")");
    }
    List<byte[]> topDown = new ArrayList<>();
    if (size1 == size2) {
      return topDown;
    }
    long lo = 0;
    long hi = size2;
    boolean whole = true;
    byte[] seed = null;
    while (true) {
      if (hi == size1) {
        // SUBPROOF(m, D[m], b): the subtree itself, unless it is the whole old tree (the verifier
        // knows that root).
        if (!whole) {
          seed = subtreeHash(lo, hi);
        }
        break;
      }
      long k = Long.highestOneBit(hi - lo - 1);
      if (size1 - lo <= k) {
        topDown.add(subtreeHash(lo + k, hi));
        hi = lo + k;
      } else {
        topDown.add(subtreeHash(lo, lo + k));
        lo += k;
        whole = false;
      }
    }
    if (seed != null) {
      topDown.add(seed);
    }
    Collections.reverse(topDown);
    return topDown;
  }

  /**
   * Writes out the buffers, forces the files and closes them. Calling it again does nothing. After
   * a failure the buffers are dropped: reopening repairs from what reached the files.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    IOException error = null;
    if (!failed) {
      try {
        sync();
      } catch (IOException e) {
        error = e;
      }
    }
    closed = true;
    closeChannels(error);
    if (error != null) {
      throw error;
    }
  }

  /** The file of level {@code k} (level 0: the leaf hashes). */
  public Path levelFile(int k) {
    return dir.resolve(String.format(Locale.ROOT, "level-%02d.bin", k));
  }

  // ---- internals ----

  /** Level k, opened (and created) if needed. */
  private Level level(int k) throws IOException {
    Level l = levels[k];
    if (l == null) {
      Path p = levelFile(k);
      boolean existed = Files.exists(p);
      FileChannel ch =
          FileChannel.open(
              p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      dirDirty |= !existed;
      l = new Level(ch, Math.max(MIN_WRITE_BUFFER, WRITE_BUFFER >> Math.min(k, 30)));
      l.flushed = ch.size() / HASH;
      levels[k] = l;
    }
    return l;
  }

  /**
   * The hash of leaves [a, b): the right fold of the stored complete subtrees that cover it,
   * largest first. Needs {@code a} to be a multiple of the largest of them, as every subtree of an
   * RFC 9162 tree is.
   */
  private byte[] subtreeHash(long a, long b) throws IOException {
    long n = b - a;
    if (n <= 0 || a % Long.highestOneBit(n) != 0) {
      throw new IllegalStateException("not a subtree of an RFC 9162 tree: [" + a + ", " + b + ")");
    }
    byte[] r = null;
    long end = b;
    for (int k = 0; k < MAX_LEVELS; k++) {
      if (((n >>> k) & 1) == 1) {
        long start = end - (1L << k);
        byte[] h = read(k, start >>> k);
        r = r == null ? h : Rfc9162.nodeHash(md, h, r);
        end = start;
      }
    }
    return r;
  }

  /** Entry {@code index} of level {@code k}: from the file, or from the write buffer. */
  private byte[] read(int k, long index) throws IOException {
    Level l = levels[k];
    if (l == null || index < 0 || index >= l.count()) {
      throw new IllegalStateException("level " + k + " has no entry " + index);
    }
    byte[] out = new byte[HASH];
    if (index >= l.flushed) {
      l.buf.get((int) ((index - l.flushed) * HASH), out);
      return out;
    }
    scratch.clear();
    long pos = index * HASH;
    while (scratch.hasRemaining()) {
      if (l.ch.read(scratch, pos + scratch.position()) < 0) {
        throw new EOFException(levelFile(k) + " ends before entry " + index);
      }
    }
    scratch.flip();
    scratch.get(out);
    return out;
  }

  private void loadFrontier() throws IOException {
    for (int k = 0; k < MAX_LEVELS; k++) {
      frontier[k] = ((size >>> k) & 1) == 1 ? read(k, (size >>> k) - 1) : null;
    }
  }

  /** Makes every level agree with level 0; see the class comment. */
  private void recover() throws IOException {
    boolean repaired = false;
    Level l0 = level(0);
    long n = l0.ch.size() / HASH;
    if (l0.ch.size() != n * HASH) {
      l0.ch.truncate(n * HASH);
      repaired = true;
    }
    l0.flushed = n;
    for (int k = 1; k < MAX_LEVELS; k++) {
      long want = n >>> k;
      if (want == 0) {
        repaired |= Files.deleteIfExists(levelFile(k));
        continue;
      }
      levels[k - 1].flush();
      Level l = level(k);
      long length = l.ch.size();
      long have = Math.min(length / HASH, want);
      // A tail written but never synced may hold anything: drop entries that disagree with their
      // children, back to the first that agrees.
      while (have > 0 && !agreesWithChildren(k, have - 1)) {
        have--;
      }
      if (length != have * HASH) {
        l.ch.truncate(have * HASH);
        repaired = true;
      }
      l.flushed = have;
      if (have < want) {
        rebuild(k, have, want);
        repaired = true;
      }
    }
    size = n;
    loadFrontier();
    if (repaired) {
      sync();
    }
  }

  /**
   * The first stored hash above the leaves that is not the hash of its two children one level
   * down, as {@code {level, index}}, or null when every level agrees with the one below it. Reads
   * every level file once, in chunks. (The leaves themselves can only be checked against the
   * entries they hash, which this store does not hold.)
   */
  public long[] firstInconsistentNode() throws IOException {
    checkUsable();
    for (int k = 0; k < MAX_LEVELS; k++) {
      if (levels[k] != null) {
        levels[k].flush();
      }
    }
    ByteBuffer below = ByteBuffer.allocateDirect(READ_CHUNK);
    ByteBuffer above = ByteBuffer.allocateDirect(READ_CHUNK / 2);
    byte[] left = new byte[HASH];
    byte[] right = new byte[HASH];
    byte[] stored = new byte[HASH];
    for (int k = 1; k < MAX_LEVELS && (size >>> k) > 0; k++) {
      long count = size >>> k;
      for (long i = 0; i < count; ) {
        int n = (int) Math.min(count - i, READ_CHUNK / (2 * HASH));
        readFully(k - 1, below, 2 * i, 2L * n);
        readFully(k, above, i, n);
        for (int j = 0; j < n; j++, i++) {
          below.get(left).get(right);
          above.get(stored);
          if (!MessageDigest.isEqual(stored, Rfc9162.nodeHash(md, left, right))) {
            return new long[] {k, i};
          }
        }
      }
    }
    return null;
  }

  /** Reads {@code count} entries of level k from {@code from} into {@code buf}, flipped. */
  private void readFully(int k, ByteBuffer buf, long from, long count) throws IOException {
    buf.clear();
    buf.limit((int) (count * HASH));
    long pos = from * HASH;
    while (buf.hasRemaining()) {
      if (level(k).ch.read(buf, pos + buf.position()) < 0) {
        throw new EOFException(levelFile(k) + " ends before entry " + (from + count - 1));
      }
    }
    buf.flip();
  }

  private boolean agreesWithChildren(int k, long index) throws IOException {
    byte[] stored = read(k, index);
    byte[] computed = Rfc9162.nodeHash(md, read(k - 1, 2 * index), read(k - 1, 2 * index + 1));
    return MessageDigest.isEqual(stored, computed);
  }

  /** Appends entries [from, to) of level k, computed from level k - 1 (all in its file). */
  private void rebuild(int k, long from, long to) throws IOException {
    Level below = levels[k - 1];
    Level l = levels[k];
    ByteBuffer chunk = ByteBuffer.allocateDirect(READ_CHUNK);
    byte[] left = new byte[HASH];
    byte[] right = new byte[HASH];
    long pos = 2 * from * HASH;
    long end = 2 * to * HASH;
    while (pos < end) {
      chunk.clear();
      chunk.limit((int) Math.min(READ_CHUNK, end - pos));
      while (chunk.hasRemaining()) {
        if (below.ch.read(chunk, pos + chunk.position()) < 0) {
          throw new EOFException(levelFile(k - 1) + " is shorter than its count");
        }
      }
      chunk.flip();
      pos += chunk.remaining();
      while (chunk.hasRemaining()) {
        chunk.get(left);
        chunk.get(right);
        l.write(Rfc9162.nodeHash(md, left, right));
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("tree store " + dir + " is closed");
    }
  }

  private void checkUsable() throws IOException {
    checkOpen();
    if (failed) {
      throw new IOException(
          "tree store " + dir + " failed an earlier write; close and reopen it to repair");
    }
  }

  private void closeChannels(Throwable primary) throws IOException {
    IOException first = null;
    for (int k = 0; k < MAX_LEVELS; k++) {
      if (levels[k] != null) {
        try {
          levels[k].ch.close();
        } catch (IOException e) {
          if (primary != null) {
            primary.addSuppressed(e);
          } else if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
        levels[k] = null;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
