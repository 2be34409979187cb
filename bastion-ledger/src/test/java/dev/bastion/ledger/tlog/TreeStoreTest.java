package dev.bastion.ledger.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TreeStore} against {@link Reference}, the recursive definitions of RFC 9162 written out
 * directly: roots, inclusion proofs and consistency proofs for every size, checked with {@link
 * Rfc9162}'s verifiers, with tampered proofs refused; crash repair; truncation; reopening. Seeded
 * generators, so every failure replays. Each test collects its disagreements and asserts once.
 */
class TreeStoreTest {
  @TempDir Path dir;

  // ---- the reference ----

  /**
   * RFC 9162 section 2.1 as written: MTH, PATH and PROOF by recursion over a list of leaf hashes.
   * Hashes of complete subtrees are memoised, so large trees stay quick; nothing else is shared
   * with the code under test, not even the hash functions.
   */
  static final class Reference {
    private final List<byte[]> leaves;
    private final Map<Long, byte[]> complete = new HashMap<>();
    private final MessageDigest md;

    Reference(List<byte[]> leaves) {
      this.leaves = leaves;
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    }

    byte[] node(byte[] left, byte[] right) {
      md.update((byte) 1);
      md.update(left);
      md.update(right);
      return md.digest();
    }

    /** MTH(D[a:b]). */
    byte[] mth(int a, int b) {
      int n = b - a;
      if (n == 0) {
        return md.digest();
      }
      if (n == 1) {
        return leaves.get(a);
      }
      boolean isComplete = Integer.bitCount(n) == 1;
      long key = ((long) a << 32) | n;
      if (isComplete && complete.containsKey(key)) {
        return complete.get(key);
      }
      int k = Integer.highestOneBit(n - 1);
      byte[] h = node(mth(a, a + k), mth(a + k, b));
      if (isComplete) {
        complete.put(key, h);
      }
      return h;
    }

    /** PATH(m, D[0:n]). */
    List<byte[]> path(int m, int n) {
      List<byte[]> out = new ArrayList<>();
      path(m, 0, n, out);
      return out;
    }

    private void path(int m, int a, int b, List<byte[]> out) {
      int n = b - a;
      if (n <= 1) {
        return;
      }
      int k = Integer.highestOneBit(n - 1);
      if (m < k) {
        path(m, a, a + k, out);
        out.add(mth(a + k, b));
      } else {
        path(m - k, a + k, b, out);
        out.add(mth(a, a + k));
      }
    }

    /** PROOF(m, D[0:n]). */
    List<byte[]> proof(int m, int n) {
      List<byte[]> out = new ArrayList<>();
      subproof(m, 0, n, true, out);
      return out;
    }

    private void subproof(int m, int a, int b, boolean whole, List<byte[]> out) {
      int n = b - a;
      if (m == n) {
        if (!whole) {
          out.add(mth(a, b));
        }
        return;
      }
      int k = Integer.highestOneBit(n - 1);
      if (m <= k) {
        subproof(m, a, a + k, whole, out);
        out.add(mth(a + k, b));
      } else {
        subproof(m - k, a + k, b, false, out);
        out.add(mth(a, a + k));
      }
    }
  }

  // ---- helpers ----

  static List<byte[]> randomLeaves(Random r, int n) {
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] entry = new byte[1 + r.nextInt(24)];
      r.nextBytes(entry);
      out.add(Rfc9162.leafHash(entry));
    }
    return out;
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static boolean sameNodes(List<byte[]> a, List<byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  static byte[] flipped(byte[] h, int bit) {
    byte[] c = h.clone();
    c[(bit / 8) % c.length] ^= (byte) (1 << (bit % 8));
    return c;
  }

  /** The ways to spoil a proof: each node with one byte changed, dropped, or a node added. */
  static List<List<byte[]>> tampered(List<byte[]> proof, Random r) {
    List<List<byte[]>> out = new ArrayList<>();
    for (int i = 0; i < proof.size(); i++) {
      List<byte[]> p = new ArrayList<>(proof);
      p.set(i, flipped(p.get(i), r.nextInt(256)));
      out.add(p);
      List<byte[]> q = new ArrayList<>(proof);
      q.remove(i);
      out.add(q);
    }
    byte[] extra = new byte[32];
    r.nextBytes(extra);
    for (int at : new int[] {0, proof.size() / 2, proof.size()}) {
      List<byte[]> p = new ArrayList<>(proof);
      p.add(at, extra);
      out.add(p);
    }
    if (!proof.isEmpty()) {
      List<byte[]> p = new ArrayList<>(proof);
      p.add(proof.get(proof.size() - 1));
      out.add(p);
    }
    return out;
  }

  private interface Verification {
    void run() throws VerificationException;
  }

  private static boolean refused(Verification v) {
    try {
      v.run();
      return false;
    } catch (VerificationException e) {
      return true;
    }
  }

  /**
   * Checks the inclusion proof of {@code index} in the tree of {@code size}: equal to the
   * reference, verified, and every tampered variant refused. Adds what is wrong to {@code
   * problems}.
   */
  static void checkInclusion(
      TreeStore store, Reference ref, int index, int size, Random r, List<String> problems)
      throws IOException {
    String at = "inclusion(" + index + ", " + size + ")";
    List<byte[]> proof = store.inclusionProof(index, size);
    if (!sameNodes(proof, ref.path(index, size))) {
      problems.add(at + ": differs from PATH");
      return;
    }
    byte[] leaf = ref.mth(index, index + 1);
    byte[] root = ref.mth(0, size);
    try {
      Rfc9162.verifyInclusion(index, size, leaf, proof, root);
    } catch (VerificationException e) {
      problems.add(at + ": refused: " + e.getMessage());
      return;
    }
    List<String> accepted = new ArrayList<>();
    if (!refused(
        () -> Rfc9162.verifyInclusion(index, size, flipped(leaf, r.nextInt(256)), proof, root))) {
      accepted.add("wrong leaf");
    }
    if (!refused(
        () -> Rfc9162.verifyInclusion(index, size, leaf, proof, flipped(root, r.nextInt(256))))) {
      accepted.add("wrong root");
    }
    for (long other : new long[] {index - 1L, index + 1L, index ^ 2L, size}) {
      if (other >= 0
          && other != index
          && !refused(() -> Rfc9162.verifyInclusion(other, size, leaf, proof, root))) {
        accepted.add("index " + other);
      }
    }
    if (index + 1 < size
        && !refused(
            () ->
                Rfc9162.verifyInclusion(index, size, ref.mth(index + 1, index + 2), proof, root))) {
      accepted.add("the next leaf");
    }
    for (List<byte[]> bad : tampered(proof, r)) {
      if (!refused(() -> Rfc9162.verifyInclusion(index, size, leaf, bad, root))) {
        accepted.add("tampered proof of " + bad.size() + " nodes");
      }
    }
    if (!accepted.isEmpty()) {
      problems.add(at + ": accepted " + accepted);
    }
  }

  /** As {@link #checkInclusion}, for the consistency proof from {@code size1} to {@code size2}. */
  static void checkConsistency(
      TreeStore store, Reference ref, int size1, int size2, Random r, List<String> problems)
      throws IOException {
    String at = "consistency(" + size1 + ", " + size2 + ")";
    List<byte[]> proof = store.consistencyProof(size1, size2);
    if (!sameNodes(proof, ref.proof(size1, size2))) {
      problems.add(at + ": differs from PROOF");
      return;
    }
    byte[] root1 = ref.mth(0, size1);
    byte[] root2 = ref.mth(0, size2);
    try {
      Rfc9162.verifyConsistency(size1, size2, root1, root2, proof);
    } catch (VerificationException e) {
      problems.add(at + ": refused: " + e.getMessage());
      return;
    }
    List<String> accepted = new ArrayList<>();
    if (!refused(
        () ->
            Rfc9162.verifyConsistency(
                size1, size2, flipped(root1, r.nextInt(256)), root2, proof))) {
      accepted.add("wrong root1");
    }
    if (!refused(
        () ->
            Rfc9162.verifyConsistency(
                size1, size2, root1, flipped(root2, r.nextInt(256)), proof))) {
      accepted.add("wrong root2");
    }
    if (size1 != size2
        && !refused(() -> Rfc9162.verifyConsistency(size1, size2, root2, root1, proof))) {
      accepted.add("swapped roots");
    }
    if (size1 != size2
        && !refused(() -> Rfc9162.verifyConsistency(size2, size1, root1, root2, proof))) {
      accepted.add("swapped sizes");
    }
    for (List<byte[]> bad : tampered(proof, r)) {
      if (!refused(() -> Rfc9162.verifyConsistency(size1, size2, root1, root2, bad))) {
        accepted.add("tampered proof of " + bad.size() + " nodes");
      }
    }
    if (!accepted.isEmpty()) {
      problems.add(at + ": accepted " + accepted);
    }
  }

  /** Appends these leaves to a new store in {@code d}. */
  static TreeStore build(Path d, List<byte[]> leaves) throws IOException {
    TreeStore store = TreeStore.open(d);
    for (byte[] leaf : leaves) {
      store.append(leaf);
    }
    return store;
  }

  static Path level(Path d, int k) {
    return d.resolve(String.format(Locale.ROOT, "level-%02d.bin", k));
  }

  // ---- properties ----

  /**
   * A random tree of up to a few thousand leaves, synced part way so reads come from both the files
   * and the write buffers: every root, and a few hundred random proofs plus the edge cases, agree
   * with the reference and verify; tampered ones do not.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 0x9162, 0xB0A710})
  void randomTreesAgreeWithTheReference(long seed) throws Exception {
    Random r = new Random(seed);
    int n = 1 + r.nextInt(seed % 2 == 0 ? 4000 : 300);
    List<byte[]> leaves = randomLeaves(r, n);
    Reference ref = new Reference(leaves);
    List<String> problems = new ArrayList<>();
    int syncAt = r.nextInt(n + 1);
    try (TreeStore store = TreeStore.open(dir)) {
      for (int i = 0; i < n; i++) {
        if (i == syncAt) {
          store.sync();
        }
        store.append(leaves.get(i));
        if (r.nextInt(16) == 0 && !Arrays.equals(store.root(), ref.mth(0, i + 1))) {
          problems.add("root() after " + (i + 1) + " appends");
        }
      }
      assertThat(store.size()).isEqualTo(n);
      for (int m = 0; m <= n; m++) {
        if (!Arrays.equals(store.root(m), ref.mth(0, m))) {
          problems.add("root(" + m + ")");
        }
      }
      if (!Arrays.equals(store.root(), ref.mth(0, n))) {
        problems.add("root()");
      }
      for (int i = 0; i < n; i += 1 + r.nextInt(8)) {
        if (!Arrays.equals(store.leafHash(i), leaves.get(i))) {
          problems.add("leafHash(" + i + ")");
        }
      }
      List<int[]> inclusions = new ArrayList<>();
      inclusions.add(new int[] {0, n});
      inclusions.add(new int[] {n - 1, n});
      inclusions.add(new int[] {0, 1});
      for (int t = 0; t < 200; t++) {
        int size = 1 + r.nextInt(n);
        inclusions.add(new int[] {r.nextInt(size), size});
      }
      for (int[] c : inclusions) {
        checkInclusion(store, ref, c[0], c[1], r, problems);
      }
      List<int[]> consistencies = new ArrayList<>();
      consistencies.add(new int[] {1, n});
      consistencies.add(new int[] {n, n});
      consistencies.add(new int[] {Integer.highestOneBit(n), n});
      for (int t = 0; t < 200; t++) {
        int size2 = 1 + r.nextInt(n);
        consistencies.add(new int[] {1 + r.nextInt(size2), size2});
      }
      for (int[] c : consistencies) {
        checkConsistency(store, ref, c[0], c[1], r, problems);
      }
    }
    assertThat(problems).isEmpty();
  }

  /** Every proof of every tree up to 70 leaves: all the shapes small trees have. */
  @Test
  void everyProofOfSmallTrees() throws Exception {
    Random r = new Random(70);
    int n = 70;
    List<byte[]> leaves = randomLeaves(r, n);
    Reference ref = new Reference(leaves);
    List<String> problems = new ArrayList<>();
    try (TreeStore store = build(dir, leaves)) {
      for (int size = 1; size <= n; size++) {
        for (int index = 0; index < size; index++) {
          checkInclusion(store, ref, index, size, r, problems);
        }
        for (int size1 = 1; size1 <= size; size1++) {
          checkConsistency(store, ref, size1, size, r, problems);
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /**
   * More leaves than the level-0 write buffer holds, never synced: reads cross from the file into
   * the buffer.
   */
  @Test
  void readsSpanTheFilesAndTheWriteBuffers() throws Exception {
    Random r = new Random(0x5EED);
    int n = 100_003;
    List<byte[]> leaves = randomLeaves(r, n);
    Reference ref = new Reference(leaves);
    List<String> problems = new ArrayList<>();
    try (TreeStore store = build(dir, leaves)) {
      for (int m : new int[] {0, 1, 32_767, 32_768, 32_769, 65_536, 99_999, n}) {
        if (!Arrays.equals(store.root(m), ref.mth(0, m))) {
          problems.add("root(" + m + ")");
        }
      }
      for (int t = 0; t < 100; t++) {
        int size = 1 + r.nextInt(n);
        checkInclusion(store, ref, r.nextInt(size), size, r, problems);
        int size2 = 1 + r.nextInt(n);
        checkConsistency(store, ref, 1 + r.nextInt(size2), size2, r, problems);
      }
      checkInclusion(store, ref, n - 1, n, r, problems);
      checkConsistency(store, ref, 32_768, n, r, problems);
    }
    assertThat(problems).isEmpty();
  }

  /** The files are the documented layout: level k holds the hash of every aligned 2^k block. */
  @Test
  void filesHoldEveryCompleteAlignedSubtree() throws Exception {
    Random r = new Random(11);
    int n = 1000;
    List<byte[]> leaves = randomLeaves(r, n);
    Reference ref = new Reference(leaves);
    List<String> problems = new ArrayList<>();
    try (TreeStore store = build(dir, leaves)) {
      store.sync();
      for (int k = 0; k < 12; k++) {
        Path p = level(dir, k);
        int count = n >> k;
        if (count == 0) {
          if (Files.exists(p)) {
            problems.add(p.getFileName() + " exists");
          }
          continue;
        }
        byte[] data = Files.readAllBytes(p);
        if (data.length != count * 32) {
          problems.add(p.getFileName() + ": " + data.length + " bytes");
          continue;
        }
        for (int j = 0; j < count; j++) {
          byte[] want = ref.mth(j << k, (j + 1) << k);
          if (!Arrays.equals(Arrays.copyOfRange(data, 32 * j, 32 * j + 32), want)) {
            problems.add(p.getFileName() + " entry " + j);
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  // ---- crash repair ----

  /** One kind of damage a crash can leave, applied to the files of a closed store. */
  @FunctionalInterface
  interface Damage {
    void apply(Path dir) throws IOException;
  }

  static void cut(Path file, long bytesFromEnd) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - bytesFromEnd);
    }
  }

  static void appendBytes(Path file, byte[] data) throws IOException {
    Files.write(file, data, StandardOpenOption.APPEND);
  }

  static void overwriteTail(Path file, int bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.allocate(bytes), ch.size() - bytes);
    }
  }

  static final int CRASH_LEAVES = 1234;

  /** Damage, and the number of leaves that survive it. */
  static Stream<Arguments> damages() {
    return Stream.of(
        Arguments.of(
            "level 0 torn (-5 bytes)", (Damage) d -> cut(level(d, 0), 5), CRASH_LEAVES - 1),
        Arguments.of(
            "level 0 torn (+7 bytes)",
            (Damage) d -> appendBytes(level(d, 0), new byte[7]),
            CRASH_LEAVES),
        Arguments.of(
            "level 0 lost 100 leaves",
            (Damage) d -> cut(level(d, 0), 100 * 32),
            CRASH_LEAVES - 100),
        Arguments.of("level 3 torn (-5 bytes)", (Damage) d -> cut(level(d, 3), 5), CRASH_LEAVES),
        Arguments.of("level 1 torn (-5 bytes)", (Damage) d -> cut(level(d, 1), 5), CRASH_LEAVES),
        Arguments.of("level 1 deleted", (Damage) d -> Files.delete(level(d, 1)), CRASH_LEAVES),
        Arguments.of(
            "levels 2 and 10 deleted",
            (Damage)
                d -> {
                  Files.delete(level(d, 2));
                  Files.delete(level(d, 10));
                },
            CRASH_LEAVES),
        Arguments.of(
            "every upper level deleted",
            (Damage)
                d -> {
                  for (int k = 1; k <= 10; k++) {
                    Files.delete(level(d, k));
                  }
                },
            CRASH_LEAVES),
        Arguments.of(
            "level 4 has extra hashes",
            (Damage) d -> appendBytes(level(d, 4), new byte[3 * 32 + 9]),
            CRASH_LEAVES),
        Arguments.of(
            "a level above the top exists",
            (Damage) d -> Files.write(level(d, 11), new byte[64]),
            CRASH_LEAVES),
        Arguments.of(
            "level 2 tail zeroed", (Damage) d -> overwriteTail(level(d, 2), 3 * 32), CRASH_LEAVES),
        Arguments.of(
            "level 5 last hash zeroed",
            (Damage) d -> overwriteTail(level(d, 5), 32),
            CRASH_LEAVES));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void openRepairsATornTail(String name, Damage damage, int survivors) throws Exception {
    Random r = new Random(name.hashCode());
    List<byte[]> leaves = randomLeaves(r, CRASH_LEAVES);
    Reference ref = new Reference(leaves);
    Path crashed = dir.resolve("crashed");
    try (TreeStore store = build(crashed, leaves)) {
      store.sync();
    }
    damage.apply(crashed);

    List<String> problems = new ArrayList<>();
    try (TreeStore store = TreeStore.open(crashed)) {
      assertThat(store.size()).isEqualTo(survivors);
      for (int m = 0; m <= survivors; m++) {
        if (!Arrays.equals(store.root(m), ref.mth(0, m))) {
          problems.add("root(" + m + ")");
        }
      }
      if (!Arrays.equals(store.root(), ref.mth(0, survivors))) {
        problems.add("root()");
      }
      for (int t = 0; t < 50; t++) {
        int size = 1 + r.nextInt(survivors);
        checkInclusion(store, ref, r.nextInt(size), size, r, problems);
        checkConsistency(store, ref, 1 + r.nextInt(size), size, r, problems);
      }
    }
    // Repaired means: the files a store of the surviving leaves has, byte for byte.
    Path fresh = dir.resolve("fresh");
    try (TreeStore store = build(fresh, leaves.subList(0, survivors))) {
      store.sync();
    }
    problems.addAll(differences(crashed, fresh));
    // The lost leaves go back on and the tree is whole again.
    try (TreeStore store = TreeStore.open(crashed)) {
      for (int i = survivors; i < CRASH_LEAVES; i++) {
        store.append(leaves.get(i));
      }
      if (!Arrays.equals(store.root(), ref.mth(0, CRASH_LEAVES))) {
        problems.add("root() after re-appending the lost leaves");
      }
    }
    assertThat(problems).isEmpty();
  }

  /**
   * The level files that differ between two store directories (present in one only, or content).
   */
  static List<String> differences(Path a, Path b) throws IOException {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < 63; k++) {
      Path pa = level(a, k);
      Path pb = level(b, k);
      if (Files.exists(pa) != Files.exists(pb)) {
        out.add(pa.getFileName() + (Files.exists(pa) ? " should not exist" : " is missing"));
      } else if (Files.exists(pa)
          && !Arrays.equals(Files.readAllBytes(pa), Files.readAllBytes(pb))) {
        out.add(
            pa.getFileName()
                + " differs ("
                + Files.size(pa)
                + " and "
                + Files.size(pb)
                + " bytes)");
      }
    }
    return out;
  }

  // ---- truncation and reopening ----

  @ParameterizedTest(name = "to {0}")
  @ValueSource(ints = {0, 1, 2, 3, 255, 256, 257, 511, 512, 700, 1023, 1024})
  void truncateThenAppendEqualsAFreshBuild(int to) throws Exception {
    Random r = new Random(to);
    int n = 1024;
    List<byte[]> leaves = randomLeaves(r, n);
    List<byte[]> other = randomLeaves(r, n);
    // The same first `to` leaves, then different ones.
    List<byte[]> mixed = new ArrayList<>(leaves.subList(0, to));
    mixed.addAll(other.subList(to, n));
    Reference ref = new Reference(mixed);
    List<String> problems = new ArrayList<>();
    Path truncated = dir.resolve("truncated");
    try (TreeStore store = TreeStore.open(truncated)) {
      for (int i = 0; i < n; i++) {
        store.append(leaves.get(i));
        if (i == n / 3) {
          store.sync(); // half in the files, half in the buffers
        }
      }
      store.truncate(to);
      assertThat(store.size()).isEqualTo(to);
      if (!Arrays.equals(store.root(), ref.mth(0, to))) {
        problems.add("root() after truncate");
      }
      for (int k = 0; k < 12; k++) {
        long want = (to >> k) * 32L;
        Path p = level(truncated, k);
        long got = Files.exists(p) ? Files.size(p) : -1;
        if ((k == 0 || want > 0) ? got != want : got != -1) {
          problems.add(p.getFileName() + " is " + got + " bytes after truncate, want " + want);
        }
      }
      for (int i = to; i < n; i++) {
        store.append(mixed.get(i));
      }
      for (int m = 0; m <= n; m++) {
        if (!Arrays.equals(store.root(m), ref.mth(0, m))) {
          problems.add("root(" + m + ")");
        }
      }
      for (int t = 0; t < 30; t++) {
        int size = 1 + r.nextInt(n);
        checkInclusion(store, ref, r.nextInt(size), size, r, problems);
        checkConsistency(store, ref, 1 + r.nextInt(size), size, r, problems);
      }
    }
    Path fresh = dir.resolve("fresh");
    try (TreeStore store = build(fresh, mixed)) {
      store.sync();
    }
    problems.addAll(differences(truncated, fresh));
    assertThat(problems).isEmpty();
  }

  @Test
  void truncateIsDurableAcrossReopen() throws Exception {
    Random r = new Random(5);
    List<byte[]> leaves = randomLeaves(r, 300);
    Reference ref = new Reference(leaves);
    try (TreeStore store = build(dir, leaves)) {
      store.sync();
      store.truncate(77);
    }
    try (TreeStore store = TreeStore.open(dir)) {
      assertThat(store.size()).isEqualTo(77);
      assertThat(hex(store.root())).isEqualTo(hex(ref.mth(0, 77)));
    }
  }

  @ParameterizedTest(name = "{0} leaves")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 31, 32, 33, 1000})
  void reopenAfterCloseGivesTheSameTree(int n) throws Exception {
    Random r = new Random(n);
    List<byte[]> leaves = randomLeaves(r, n + 10);
    Reference ref = new Reference(leaves);
    List<String> problems = new ArrayList<>();
    try (TreeStore store = build(dir, leaves.subList(0, n))) {
      assertThat(store.size()).isEqualTo(n);
    }
    try (TreeStore store = TreeStore.open(dir)) {
      assertThat(store.size()).isEqualTo(n);
      for (int m = 0; m <= n; m++) {
        if (!Arrays.equals(store.root(m), ref.mth(0, m))) {
          problems.add("root(" + m + ") after reopening");
        }
      }
      if (!Arrays.equals(store.root(), ref.mth(0, n))) {
        problems.add("root() after reopening");
      }
      for (byte[] leaf : leaves.subList(n, n + 10)) {
        store.append(leaf);
      }
      if (!Arrays.equals(store.root(), ref.mth(0, n + 10))) {
        problems.add("root() after appending to the reopened store");
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void anEmptyStoreHasTheEmptyRoot() throws Exception {
    try (TreeStore store = TreeStore.open(dir.resolve("new/nested"))) {
      assertThat(store.size()).isZero();
      assertThat(store.root()).isEqualTo(Rfc9162.emptyRoot());
      assertThat(store.root(0)).isEqualTo(Rfc9162.emptyRoot());
    }
    assertThat(level(dir.resolve("new/nested"), 0)).exists().isEmptyFile();
  }

  // ---- misuse ----

  @FunctionalInterface
  interface Call {
    void on(TreeStore store) throws IOException;
  }

  static Stream<Arguments> invalidCalls() {
    return Stream.of(
        Arguments.of("append 31 bytes", (Call) s -> s.append(new byte[31])),
        Arguments.of("append 33 bytes", (Call) s -> s.append(new byte[33])),
        Arguments.of("leafHash(-1)", (Call) s -> s.leafHash(-1)),
        Arguments.of("leafHash(size)", (Call) s -> s.leafHash(10)),
        Arguments.of("root(-1)", (Call) s -> s.root(-1)),
        Arguments.of("root(size + 1)", (Call) s -> s.root(11)),
        Arguments.of("inclusionProof(size, size)", (Call) s -> s.inclusionProof(10, 10)),
        Arguments.of("inclusionProof(0, 0)", (Call) s -> s.inclusionProof(0, 0)),
        Arguments.of("inclusionProof(-1, 5)", (Call) s -> s.inclusionProof(-1, 5)),
        Arguments.of("inclusionProof(0, size + 1)", (Call) s -> s.inclusionProof(0, 11)),
        Arguments.of("consistencyProof(0, 5)", (Call) s -> s.consistencyProof(0, 5)),
        Arguments.of("consistencyProof(0, 0)", (Call) s -> s.consistencyProof(0, 0)),
        Arguments.of("consistencyProof(6, 5)", (Call) s -> s.consistencyProof(6, 5)),
        Arguments.of("consistencyProof(5, size + 1)", (Call) s -> s.consistencyProof(5, 11)),
        Arguments.of("truncate(-1)", (Call) s -> s.truncate(-1)),
        Arguments.of("truncate(size + 1)", (Call) s -> s.truncate(11)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCalls")
  void invalidArgumentsAreRefusedAndChangeNothing(String name, Call call) throws Exception {
    List<byte[]> leaves = randomLeaves(new Random(10), 10);
    try (TreeStore store = build(dir, leaves)) {
      byte[] root = store.root();
      assertThatThrownBy(() -> call.on(store)).isInstanceOf(IllegalArgumentException.class);
      assertThat(store.size()).isEqualTo(10);
      assertThat(store.root()).isEqualTo(root);
      store.append(leaves.get(0)); // still usable
    }
  }

  @Test
  void aClosedStoreRefusesWork() throws Exception {
    TreeStore store = build(dir, randomLeaves(new Random(3), 3));
    store.close();
    store.close(); // idempotent
    assertThatThrownBy(store::root).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.append(new byte[32])).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.inclusionProof(0, 3)).isInstanceOf(IllegalStateException.class);
  }
}
