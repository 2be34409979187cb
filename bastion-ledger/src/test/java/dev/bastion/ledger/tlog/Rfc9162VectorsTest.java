package dev.bastion.ledger.tlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Rfc9162} and {@link TreeStore} against the transparency-dev/merkle test data (copied, with
 * its README and licence, into src/test/resources/rfc9162): every inclusion and consistency case,
 * positive and negative, and the documented roots of the eight classic RFC 6962 leaves. Each test
 * collects every disagreement, then asserts once.
 */
class Rfc9162VectorsTest {
  /** As many as there are files: a missing or empty directory cannot pass. */
  private static final int INCLUSION_CASES = 98;

  private static final int CONSISTENCY_CASES = 98;

  private static Path vectors;
  private static List<byte[]> leaves;
  private static Map<Integer, byte[]> documentedRoots;

  @TempDir Path dir;

  @BeforeAll
  static void readReadme() throws Exception {
    URL url = Rfc9162VectorsTest.class.getResource("/rfc9162/README.md");
    assertThat(url).as("test resource rfc9162/README.md").isNotNull();
    vectors = Path.of(url.toURI()).getParent();
    String readme = Files.readString(vectors.resolve("README.md"));
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
      documentedRoots.put(Integer.parseInt(row.group(1)), b64(row.group(2)));
    }
    assertThat(leaves).as("leaves parsed from README").hasSize(8);
    assertThat(documentedRoots).as("roots parsed from README").hasSize(9);
  }

  /** Every JSON case under {@code rfc9162/<kind>}, by relative path. */
  private static Map<String, JsonNode> cases(String kind) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    Path base = vectors.resolve(kind);
    try (Stream<Path> files = Files.walk(base)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        String name = kind + "/" + base.relativize(p).toString().replace('\\', '/');
        out.put(name, Json.parse(Files.readAllBytes(p), name));
      }
    }
    return out;
  }

  private static byte[] b64(String s) {
    return Base64.getDecoder().decode(s);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static List<byte[]> proof(JsonNode v) {
    List<byte[]> out = new ArrayList<>();
    v.path("proof").forEach(p -> out.add(b64(p.asText())));
    return out;
  }

  /** Runs one case; returns a description of the disagreement, or null. */
  private static String check(String name, JsonNode v, Verification verification) {
    boolean wantErr = v.path("wantErr").asBoolean();
    try {
      verification.run();
      return wantErr ? name + " (" + v.path("desc").asText() + "): verified, want an error" : null;
    } catch (VerificationException e) {
      if (!wantErr) {
        return name + ": refused: " + e.getMessage();
      }
      if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")) {
        return name + ": the error is not one line: " + e.getMessage();
      }
      return null;
    } catch (RuntimeException e) {
      return name + ": " + e + " instead of a VerificationException";
    }
  }

  @FunctionalInterface
  private interface Verification {
    void run() throws VerificationException;
  }

  @Test
  void inclusionCases() throws Exception {
    Map<String, JsonNode> cases = cases("inclusion");
    List<String> problems = new ArrayList<>();
    int positive = 0;
    for (Map.Entry<String, JsonNode> c : cases.entrySet()) {
      JsonNode v = c.getValue();
      positive += v.path("wantErr").asBoolean() ? 0 : 1;
      String problem =
          check(
              c.getKey(),
              v,
              () ->
                  Rfc9162.verifyInclusion(
                      v.path("leafIdx").asLong(),
                      v.path("treeSize").asLong(),
                      b64(v.path("leafHash").asText()),
                      proof(v),
                      b64(v.path("root").asText())));
      if (problem != null) {
        problems.add(problem);
      }
    }
    assertThat(cases).as("inclusion cases").hasSize(INCLUSION_CASES);
    assertThat(positive).as("positive inclusion cases").isBetween(2, INCLUSION_CASES - 2);
    assertThat(problems).isEmpty();
  }

  @Test
  void consistencyCases() throws Exception {
    Map<String, JsonNode> cases = cases("consistency");
    List<String> problems = new ArrayList<>();
    int positive = 0;
    for (Map.Entry<String, JsonNode> c : cases.entrySet()) {
      JsonNode v = c.getValue();
      positive += v.path("wantErr").asBoolean() ? 0 : 1;
      String problem =
          check(
              c.getKey(),
              v,
              () ->
                  Rfc9162.verifyConsistency(
                      v.path("size1").asLong(),
                      v.path("size2").asLong(),
                      b64(v.path("root1").asText()),
                      b64(v.path("root2").asText()),
                      proof(v)));
      if (problem != null) {
        problems.add(problem);
      }
    }
    assertThat(cases).as("consistency cases").hasSize(CONSISTENCY_CASES);
    assertThat(positive).as("positive consistency cases").isBetween(2, CONSISTENCY_CASES - 2);
    assertThat(problems).isEmpty();
  }

  @Test
  void treeStoreRootsMatchTheDocumentedRoots() throws Exception {
    List<String> problems = new ArrayList<>();
    try (TreeStore store = TreeStore.open(dir)) {
      for (int n = 0; n <= leaves.size(); n++) {
        if (n > 0) {
          store.append(Rfc9162.leafHash(leaves.get(n - 1)));
        }
        if (!Arrays.equals(store.root(), documentedRoots.get(n))) {
          problems.add("root() at " + n + ": " + b64(store.root()));
        }
      }
      for (int n = 0; n <= leaves.size(); n++) {
        if (!Arrays.equals(store.root(n), documentedRoots.get(n))) {
          problems.add("root(" + n + "): " + b64(store.root(n)));
        }
      }
    }
    assertThat(b64(Rfc9162.emptyRoot())).isEqualTo(b64(documentedRoots.get(0)));
    assertThat(problems).isEmpty();
  }

  /** The proofs the store generates are the ones in the happy-path cases, node for node. */
  @Test
  void treeStoreGeneratesTheHappyPathProofs() throws Exception {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    try (TreeStore store = TreeStore.open(dir)) {
      for (byte[] leaf : leaves) {
        store.append(Rfc9162.leafHash(leaf));
      }
      for (Map.Entry<String, JsonNode> c : cases("inclusion").entrySet()) {
        JsonNode v = c.getValue();
        if (!c.getKey().endsWith("/happy-path.json")) {
          continue;
        }
        checked++;
        long index = v.path("leafIdx").asLong();
        long size = v.path("treeSize").asLong();
        if (!b64(store.leafHash(index)).equals(v.path("leafHash").asText())) {
          problems.add(c.getKey() + ": leaf hash " + b64(store.leafHash(index)));
        }
        if (!sameNodes(store.inclusionProof(index, size), proof(v))) {
          problems.add(c.getKey() + ": proof differs");
        }
      }
      for (Map.Entry<String, JsonNode> c : cases("consistency").entrySet()) {
        JsonNode v = c.getValue();
        if (!c.getKey().endsWith("/happy-path.json")) {
          continue;
        }
        checked++;
        long size1 = v.path("size1").asLong();
        long size2 = v.path("size2").asLong();
        if (!sameNodes(store.consistencyProof(size1, size2), proof(v))) {
          problems.add(c.getKey() + ": proof differs");
        }
      }
    }
    assertThat(checked).as("happy-path cases").isEqualTo(10);
    assertThat(problems).isEmpty();
  }

  private static boolean sameNodes(List<byte[]> a, List<byte[]> b) {
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

  @Test
  void provenanceTravelsWithTheData() throws Exception {
    assertThat(new String(Files.readAllBytes(vectors.resolve("LICENSE")), StandardCharsets.UTF_8))
        .contains("Apache License");
  }
}
