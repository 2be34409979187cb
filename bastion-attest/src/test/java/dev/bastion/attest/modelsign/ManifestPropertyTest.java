package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of the manifest over generated file trees (seeded, so every failure replays): empty
 * files, nested folders, unicode and space-containing names; symbolic links refused unless
 * allowed and never followed out of the model.
 */
class ManifestPropertyTest {
  private static final long SEED = 0x0E5_2026L;
  private static final int TREES = 40;

  /** Name parts: plain, spaces, dots, dashes, colons, accents, CJK, and a character above U+FFFF. */
  private static final List<String> PARTS =
      List.of("a", "B", "model", "w 1", " lead", "x.bin", "-", "_", "é", "模型", "\uD83D\uDE00",
          "ü ber", "a:b", "1", "z", ".hidden", "tail ", "%", "ǅ", "\u00A0");

  private static KeyPair keyPair;
  private static SigningKey key;

  @TempDir Path tmp;

  @BeforeAll
  static void keys() throws Exception {
    keyPair = OmsFixtures.ecKeyPair("secp256r1");
    key = SigningKey.fromPem(OmsFixtures.privatePem(keyPair.getPrivate()), "k");
  }

  static Stream<Long> seeds() {
    return LongStream.range(0, TREES).mapToObj(i -> SEED + i);
  }

  private static boolean utf8FileNames() {
    return "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"));
  }

  /** A random tree under {@code root}; returns relative path to content. */
  static Map<String, byte[]> generate(Random r, Path root) throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    Files.createDirectories(root);
    int n = 1 + r.nextInt(12);
    for (int i = 0; i < n; i++) {
      int depth = r.nextInt(4);
      StringBuilder rel = new StringBuilder();
      for (int d = 0; d <= depth; d++) {
        if (d > 0) {
          rel.append('/');
        }
        String part = PARTS.get(r.nextInt(PARTS.size())) + (r.nextBoolean() ? "" : r.nextInt(50));
        rel.append(part);
      }
      String name = rel.toString();
      // Skip names that collide with a file or folder already made, and top-level git names.
      if (name.startsWith(".git") || clashes(files.keySet(), name)) {
        continue;
      }
      byte[] content = new byte[r.nextInt(4) == 0 ? 0 : r.nextInt(5000)];
      r.nextBytes(content);
      Path p = root.resolve(name);
      Files.createDirectories(p.getParent());
      Files.write(p, content);
      files.put(name, content);
    }
    if (r.nextInt(3) == 0) {
      Files.createDirectories(root.resolve("empty dir/inner"));
    }
    return files;
  }

  private static boolean clashes(Iterable<String> existing, String name) {
    for (String e : existing) {
      if (e.equals(name) || e.startsWith(name + "/") || name.startsWith(e + "/")) {
        return true;
      }
    }
    return false;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theManifestListsExactlyTheRegularFilesWithTheirDigests(long seed) throws Exception {
    assumeTrue(utf8FileNames(), "file names need a UTF-8 locale");
    Random r = new Random(seed);
    Path root = tmp.resolve("m");
    Map<String, byte[]> files = generate(r, root);
    assumeTrue(!files.isEmpty());

    Manifest m = ModelHasher.manifest(
        ModelFiles.list(root, false, IgnoreRules.forSigning(java.util.Set.of())),
        Serialization.files(false, List.of()));

    Map<String, Digest> expected = new TreeMap<>();
    files.forEach((k, v) -> expected.put(k, Digest.of(v)));
    Map<String, Digest> actual = new TreeMap<>();
    m.resources().forEach(res -> actual.put(res.name(), res.digest()));
    assertThat(actual).isEqualTo(expected);
    // Canonical order: by code point, which puts U+1F600 after U+FFxx, unlike String.compareTo.
    List<String> names = m.resources().stream().map(Resource::name).toList();
    List<String> sorted = new ArrayList<>(names);
    sorted.sort(Comparator.comparing((String s) -> s.codePoints().toArray(), java.util.Arrays::compare));
    assertThat(names).isEqualTo(sorted);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shardsCoverEveryNonEmptyFileInOrder(long seed) throws Exception {
    assumeTrue(utf8FileNames(), "file names need a UTF-8 locale");
    Random r = new Random(seed);
    Path root = tmp.resolve("m");
    Map<String, byte[]> files = generate(r, root);
    long shard = 1 + r.nextInt(3000);

    Manifest m = ModelHasher.manifest(
        ModelFiles.list(root, false, IgnoreRules.forSigning(java.util.Set.of())),
        Serialization.shards(shard, false, List.of()));

    Map<String, Long> covered = new TreeMap<>();
    for (Resource res : m.resources()) {
      Resource.ShardName s = Resource.ShardName.parseOrNull(res.name());
      assertThat(s).as(res.name()).isNotNull();
      byte[] content = files.get(s.path());
      assertThat(s.start()).isEqualTo(covered.getOrDefault(s.path(), 0L));
      assertThat(s.end() - s.start()).isBetween(1L, shard);
      byte[] part = java.util.Arrays.copyOfRange(content, (int) s.start(), (int) s.end());
      assertThat(res.digest()).isEqualTo(Digest.of(part));
      covered.put(s.path(), s.end());
    }
    files.forEach((name, content) -> {
      if (content.length > 0) {
        assertThat(covered.get(name)).as(name).isEqualTo((long) content.length);
      } else {
        assertThat(covered).doesNotContainKey(name);
      }
    });
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void signVerifyAndEveryChangeIsNamed(long seed) throws Exception {
    assumeTrue(utf8FileNames(), "file names need a UTF-8 locale");
    Random r = new Random(seed);
    Path root = tmp.resolve("m");
    Map<String, byte[]> files = generate(r, root);
    assumeTrue(!files.isEmpty());
    ModelSigner.Options options =
        r.nextBoolean() ? ModelSigner.Options.files() : ModelSigner.Options.shards(1 + r.nextInt(4000));
    Path sig = tmp.resolve("sig.json");
    if (options.method() == Serialization.Method.SHARDS
        && files.values().stream().allMatch(c -> c.length == 0)) {
      assertThatThrownBy(() -> ModelSigner.signTo(root, key, options, sig))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("every file is empty");
      return;
    }
    ModelSigner.signTo(root, key, options, sig);
    TrustRoot trust = new TrustRoot.Key(keyPair.getPublic());
    ModelVerifier.verify(root, sig, trust, ModelVerifier.Options.defaults());

    List<String> names = new ArrayList<>(files.keySet());
    String victim = names.get(r.nextInt(names.size()));
    int change = r.nextInt(3);
    boolean shardsAndEmpty =
        options.method() == Serialization.Method.SHARDS && files.get(victim).length == 0;
    String expected;
    if (change == 0) {
      byte[] c = files.get(victim);
      byte[] changed = c.length == 0 ? new byte[] {7} : c.clone();
      if (c.length > 0) {
        changed[r.nextInt(c.length)] ^= (byte) (1 + r.nextInt(255));
      }
      Files.write(root.resolve(victim), changed);
      expected = (shardsAndEmpty ? "added (not signed): " : "modified (digest differs): ") + victim;
    } else if (change == 1) {
      Files.delete(root.resolve(victim));
      expected = shardsAndEmpty ? null : "removed (signed, missing): " + victim;
    } else {
      Path added = root.resolve(victim + " copy");
      Files.write(added, new byte[] {1, 2, 3});
      expected = "added (not signed): " + victim + " copy";
    }
    if (expected == null) {
      // An empty file has no byte range under the shards method: removing it changes nothing.
      ModelVerifier.verify(root, sig, trust, ModelVerifier.Options.defaults());
      return;
    }
    assertThatThrownBy(() -> ModelVerifier.verify(root, sig, trust, ModelVerifier.Options.defaults()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("\n  " + expected);
  }

  // ---- symbolic links ----

  private Path modelWithLink(String target) throws Exception {
    Path root = tmp.resolve("linked");
    Files.createDirectories(root.resolve("dir"));
    Files.writeString(root.resolve("dir/real.bin"), "real");
    Files.writeString(tmp.resolve("outside.bin"), "outside");
    Files.createSymbolicLink(root.resolve("link"), Path.of(target));
    return root;
  }

  @Test
  void aLinkIsRefusedUnlessAllowed() throws Exception {
    Path root = modelWithLink("dir/real.bin");

    assertThatThrownBy(() -> ModelSigner.sign(root, key, ModelSigner.Options.files()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("link: is a symbolic link");
  }

  @Test
  void anAllowedLinkInsideTheModelIsHashedAsItsTarget() throws Exception {
    Path root = modelWithLink("dir/real.bin");
    Path sig = tmp.resolve("sig.json");
    ModelSigner.signTo(root, key, ModelSigner.Options.files().withAllowSymlinks(true), sig);

    VerifiedModel v = ModelVerifier.verify(root, sig, new TrustRoot.Key(keyPair.getPublic()),
        ModelVerifier.Options.defaults());
    assertThat(v.manifest().serialization().allowSymlinks()).isTrue();
    assertThat(v.manifest().resources()).extracting(Resource::name).containsExactly("dir/real.bin", "link");
    assertThat(v.manifest().resources().get(0).digest())
        .isEqualTo(v.manifest().resources().get(1).digest());

    // A link to a folder inside the model is walked too.
    Files.delete(root.resolve("link"));
    Files.createSymbolicLink(root.resolve("link"), Path.of("dir"));
    assertThatThrownBy(() -> ModelVerifier.verify(root, sig, new TrustRoot.Key(keyPair.getPublic()),
            ModelVerifier.Options.defaults()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("added (not signed): link/real.bin")
        .hasMessageContaining("removed (signed, missing): link");
  }

  @Test
  void aLinkOutOfTheModelIsNeverFollowed() throws Exception {
    for (String target : List.of("../outside.bin", tmp.resolve("outside.bin").toString(), "..")) {
      Path root = modelWithLink(target);
      assertThatThrownBy(() ->
              ModelSigner.sign(root, key, ModelSigner.Options.files().withAllowSymlinks(true)))
          .as(target)
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("leads outside the model");
      Files.delete(root.resolve("link"));
    }
  }

  @Test
  void aLinkCycleAndADanglingLinkAreRefused() throws Exception {
    Path root = modelWithLink(".");
    assertThatThrownBy(() ->
            ModelSigner.sign(root, key, ModelSigner.Options.files().withAllowSymlinks(true)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cycle");
    Files.delete(root.resolve("link"));
    Files.createSymbolicLink(root.resolve("dir/up"), Path.of(".."));
    assertThatThrownBy(() ->
            ModelSigner.sign(root, key, ModelSigner.Options.files().withAllowSymlinks(true)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cycle");
    Files.delete(root.resolve("dir/up"));
    Files.createSymbolicLink(root.resolve("gone"), Path.of("nothing-here"));
    assertThatThrownBy(() ->
            ModelSigner.sign(root, key, ModelSigner.Options.files().withAllowSymlinks(true)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("symbolic link to nothing");
  }

  @Test
  void aLinkAddedAfterSigningFailsVerification() throws Exception {
    Path root = tmp.resolve("m");
    Files.createDirectories(root);
    Files.writeString(root.resolve("a"), "a");
    Path sig = tmp.resolve("sig.json");
    ModelSigner.signTo(root, key, ModelSigner.Options.files(), sig);
    Files.delete(root.resolve("a"));
    Files.writeString(tmp.resolve("evil"), "a");
    Files.createSymbolicLink(root.resolve("a"), tmp.resolve("evil"));

    assertThatThrownBy(() -> ModelVerifier.verify(root, sig, new TrustRoot.Key(keyPair.getPublic()),
            ModelVerifier.Options.defaults()))
        // The model changed since it was signed: a failed check (exit 1), not bad input.
        .isInstanceOf(dev.bastion.core.VerificationException.class)
        .hasMessageContaining("symbolic link");
  }
}
