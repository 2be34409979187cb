package dev.bastion.attest.modelsign;

import dev.bastion.attest.modelsign.Resource.ShardName;
import dev.bastion.core.Digest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every difference between a signed manifest and the model on disk, by file: files on disk the
 * signature does not list (added), files it lists that are missing (removed), and files whose
 * bytes differ (modified). The caller decides what fails; all differences are collected first so a
 * user sees the whole picture at once.
 *
 * @param added paths on disk that are not signed, sorted
 * @param removed signed paths that are not on disk, sorted
 * @param modified paths whose digests differ, sorted
 */
public record ManifestComparison(List<String> added, List<String> removed, List<String> modified) {
  public ManifestComparison {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    modified = List.copyOf(modified);
  }

  /** Compares {@code signed} with {@code actual}, both of {@code method}. */
  static ManifestComparison of(
      Serialization.Method method, List<Resource> signed, List<Resource> actual) {
    Map<String, Map<String, Digest>> s = byFile(method, signed);
    Map<String, Map<String, Digest>> a = byFile(method, actual);
    Set<String> added = new TreeSet<>(Resource::compareCodePoints);
    Set<String> removed = new TreeSet<>(Resource::compareCodePoints);
    Set<String> modified = new TreeSet<>(Resource::compareCodePoints);
    for (Map.Entry<String, Map<String, Digest>> e : s.entrySet()) {
      Map<String, Digest> other = a.get(e.getKey());
      if (other == null) {
        removed.add(e.getKey());
      } else if (!other.equals(e.getValue())) {
        modified.add(e.getKey());
      }
    }
    for (String p : a.keySet()) {
      if (!s.containsKey(p)) {
        added.add(p);
      }
    }
    return new ManifestComparison(
        new ArrayList<>(added), new ArrayList<>(removed), new ArrayList<>(modified));
  }

  /** Resources grouped by file: for shards, each file's ranges; for files, the one digest. */
  private static Map<String, Map<String, Digest>> byFile(
      Serialization.Method method, List<Resource> resources) {
    Map<String, Map<String, Digest>> out = new HashMap<>();
    for (Resource r : resources) {
      String file = r.name();
      if (method == Serialization.Method.SHARDS) {
        ShardName n = ShardName.parseOrNull(r.name());
        file = n == null ? r.name() : n.path();
      }
      out.computeIfAbsent(file, k -> new TreeMap<>()).put(r.name(), r.digest());
    }
    return out;
  }

  /** Whether the model matches; with {@code ignoreUnsignedFiles} added files are tolerated. */
  public boolean matches(boolean ignoreUnsignedFiles) {
    return removed.isEmpty() && modified.isEmpty() && (ignoreUnsignedFiles || added.isEmpty());
  }

  /**
   * The report: a first line saying what failed, then one line per file.
   *
   * @param ignoreUnsignedFiles whether added files were tolerated (and so are not listed)
   */
  public String describe(boolean ignoreUnsignedFiles) {
    List<String> parts = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    if (!ignoreUnsignedFiles && !added.isEmpty()) {
      parts.add(added.size() + " added");
      added.forEach(p -> lines.add("  added (not signed): " + p));
    }
    if (!removed.isEmpty()) {
      parts.add(removed.size() + " removed");
      removed.forEach(p -> lines.add("  removed (signed, missing): " + p));
    }
    if (!modified.isEmpty()) {
      parts.add(modified.size() + " modified");
      modified.forEach(p -> lines.add("  modified (digest differs): " + p));
    }
    StringBuilder sb =
        new StringBuilder("the model does not match its signature: ")
            .append(String.join(", ", parts));
    lines.forEach(l -> sb.append('\n').append(l));
    return sb.toString();
  }

  /** All the paths involved, for tests and machine output. */
  public List<String> all() {
    List<String> out = new ArrayList<>(added);
    out.addAll(removed);
    out.addAll(modified);
    Collections.sort(out);
    return out;
  }
}
