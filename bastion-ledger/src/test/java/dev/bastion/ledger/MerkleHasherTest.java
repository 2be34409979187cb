package dev.bastion.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 9162 tree hashing, against the transparency-dev/merkle test data (copied, with its README and
 * licence, into src/test/resources/rfc9162): the documented roots of the eight classic RFC 6962
 * leaves, and the roots, leaf hashes and proofs of the happy-path proof cases.
 */
class MerkleHasherTest {
  private static final int PROOF_CASES = 5;

  private static List<byte[]> leaves;
  private static Map<Integer, String> documentedRoots;

  @BeforeAll
  static void readVectors() throws Exception {
    String readme = resource("README.md");
    // "The trees are built from the eight classic RFC 6962 test leaves (hex): `""`, `00`, ..."
    String leafText =
        readme.substring(readme.indexOf("test leaves (hex):"), readme.indexOf("hashed as"));
    leaves = new ArrayList<>();
    Matcher m = Pattern.compile("`(\"\"|[0-9a-f]+)`").matcher(leafText);
    while (m.find()) {
      leaves.add(m.group(1).equals("\"\"") ? new byte[0] : HexFormat.of().parseHex(m.group(1)));
    }
    // "| n | `root` |"
    documentedRoots = new TreeMap<>();
    Matcher row = Pattern.compile("(?m)^\\| (\\d+) \\| `([A-Za-z0-9+/=]+)`").matcher(readme);
    while (row.find()) {
      documentedRoots.put(Integer.parseInt(row.group(1)), row.group(2));
    }
    assertThat(leaves).as("leaves parsed from README").hasSize(8);
    assertThat(documentedRoots).as("roots parsed from README").hasSize(9);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = MerkleHasherTest.class.getResourceAsStream("/rfc9162/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource rfc9162/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static JsonNode vector(String name) throws Exception {
    return Json.parse(resource(name).getBytes(StandardCharsets.UTF_8), name);
  }

  private static byte[] b64(String s) {
    return Base64.getDecoder().decode(s);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** The root MerkleHasher computes for the first {@code n} leaves. */
  private static byte[] rootOf(int n) {
    MerkleHasher t = new MerkleHasher();
    for (int i = 0; i < n; i++) {
      t.append(MerkleHasher.leafHash(leaves.get(i)));
    }
    assertThat(t.size()).isEqualTo(n);
    return t.root();
  }

  @Test
  void rootsMatchTheDocumentedRoots() {
    List<String> mismatches = new ArrayList<>();
    documentedRoots.forEach(
        (n, want) -> {
          String got = b64(rootOf(n));
          if (!got.equals(want)) {
            mismatches.add("n=" + n + ": got " + got + ", want " + want);
          }
        });
    assertThat(mismatches).isEmpty();
  }

  @Test
  void inclusionHappyPathsAgree() throws Exception {
    List<String> mismatches = new ArrayList<>();
    for (int c = 0; c < PROOF_CASES; c++) {
      String name = "inclusion/" + c + "/happy-path.json";
      JsonNode v = vector(name);
      int idx = v.path("leafIdx").asInt();
      int size = v.path("treeSize").asInt();
      byte[] leafHash = MerkleHasher.leafHash(leaves.get(idx));
      if (!b64(leafHash).equals(v.path("leafHash").asText())) {
        mismatches.add(name + ": leaf hash " + b64(leafHash));
      }
      if (!b64(rootOf(size)).equals(v.path("root").asText())) {
        mismatches.add(name + ": root " + b64(rootOf(size)));
      }
      byte[] fromProof = rootFromInclusionProof(idx, size, leafHash, proof(v));
      if (fromProof == null || !b64(fromProof).equals(v.path("root").asText())) {
        mismatches.add(name + ": root from proof " + (fromProof == null ? "none" : b64(fromProof)));
      }
    }
    assertThat(mismatches).isEmpty();
  }

  @Test
  void consistencyHappyPathsAgree() throws Exception {
    List<String> mismatches = new ArrayList<>();
    for (int c = 0; c < PROOF_CASES; c++) {
      String name = "consistency/" + c + "/happy-path.json";
      JsonNode v = vector(name);
      int size1 = v.path("size1").asInt();
      int size2 = v.path("size2").asInt();
      byte[] root1 = b64(v.path("root1").asText());
      byte[] root2 = b64(v.path("root2").asText());
      if (!Arrays.equals(rootOf(size1), root1)) {
        mismatches.add(name + ": root1 " + b64(rootOf(size1)));
      }
      if (!Arrays.equals(rootOf(size2), root2)) {
        mismatches.add(name + ": root2 " + b64(rootOf(size2)));
      }
      if (!consistent(size1, size2, root1, root2, proof(v))) {
        mismatches.add(name + ": proof does not check with MerkleHasher.nodeHash");
      }
    }
    assertThat(mismatches).isEmpty();
  }

  private static List<byte[]> proof(JsonNode v) {
    List<byte[]> out = new ArrayList<>();
    v.path("proof").forEach(p -> out.add(b64(p.asText())));
    return out;
  }

  /** RFC 9162 section 2.1.3.2, with the hasher under test; null if the proof is malformed. */
  private static byte[] rootFromInclusionProof(long index, long size, byte[] leaf, List<byte[]> path) {
    if (index >= size) {
      return null;
    }
    long fn = index;
    long sn = size - 1;
    byte[] r = leaf;
    for (byte[] p : path) {
      if (sn == 0) {
        return null;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = MerkleHasher.nodeHash(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = MerkleHasher.nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 ? r : null;
  }

  /** RFC 9162 section 2.1.4.2, with the hasher under test. */
  private static boolean consistent(
      long size1, long size2, byte[] root1, byte[] root2, List<byte[]> path) {
    if (size1 == size2) {
      return path.isEmpty() && Arrays.equals(root1, root2);
    }
    if (size1 == 0 || size1 > size2 || path.isEmpty()) {
      return false;
    }
    List<byte[]> p = new ArrayList<>(path);
    if (Long.bitCount(size1) == 1) {
      p.add(0, root1);
    }
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = p.get(0);
    byte[] sr = p.get(0);
    for (byte[] c : p.subList(1, p.size())) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = MerkleHasher.nodeHash(c, fr);
        sr = MerkleHasher.nodeHash(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sr = MerkleHasher.nodeHash(sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && Arrays.equals(fr, root1) && Arrays.equals(sr, root2);
  }

  /** The RFC 9162 definition, recursively: the reference the compact range must agree with. */
  private static byte[] referenceRoot(List<byte[]> leafHashes) {
    int n = leafHashes.size();
    if (n == 0) {
      return MerkleHasher.emptyRoot();
    }
    if (n == 1) {
      return leafHashes.get(0);
    }
    int k = Integer.highestOneBit(n - 1);
    return MerkleHasher.nodeHash(
        referenceRoot(leafHashes.subList(0, k)), referenceRoot(leafHashes.subList(k, n)));
  }

  @Test
  void incrementalRootAgreesWithTheRecursiveDefinition() {
    Random r = new Random(9162);
    MerkleHasher t = new MerkleHasher();
    List<byte[]> leafHashes = new ArrayList<>();
    List<String> mismatches = new ArrayList<>();
    for (int n = 0; n <= 130; n++) {
      if (n > 0) {
        byte[] entry = new byte[r.nextInt(40)];
        r.nextBytes(entry);
        byte[] leaf = MerkleHasher.leafHash(entry);
        leafHashes.add(leaf);
        t.append(leaf);
      }
      byte[] got = t.root();
      if (t.size() != n || !Arrays.equals(got, referenceRoot(leafHashes))) {
        mismatches.add("n=" + n);
      }
      if (!Arrays.equals(t.root(), got)) {
        mismatches.add("n=" + n + ": root() changed the state");
      }
    }
    assertThat(mismatches).isEmpty();
  }

  @Test
  void leafAndNodeHashesAreDomainSeparated() {
    byte[] a = MerkleHasher.leafHash(new byte[0]);
    byte[] b = MerkleHasher.leafHash(new byte[] {1});
    byte[] concat = new byte[64];
    System.arraycopy(a, 0, concat, 0, 32);
    System.arraycopy(b, 0, concat, 32, 32);

    assertThat(MerkleHasher.nodeHash(a, b)).isNotEqualTo(MerkleHasher.leafHash(concat));
    assertThat(b64(MerkleHasher.emptyRoot())).isEqualTo(documentedRoots.get(0));
  }
}
