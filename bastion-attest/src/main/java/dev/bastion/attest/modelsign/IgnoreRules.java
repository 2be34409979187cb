package dev.bastion.attest.modelsign;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which model-relative paths stay out of a manifest.
 *
 * <p>Two kinds: explicit paths (the user's, those a bundle recorded, the signature file), each of
 * which excludes itself and everything below it; and the default rule, which excludes every
 * top-level entry whose name starts with {@code .git} ({@code .git}, {@code .github},
 * {@code .gitignore}, {@code .gitattributes}, ...). Git metadata is not part of a model, and it
 * changes with every checkout.
 *
 * <p>When verifying, the default rule never hides a path the signature lists: a producer that
 * signed, say, {@code .gitmodules} must still find it checked. Only explicit paths can remove a
 * signed file from the comparison, and then it is reported as removed.
 */
final class IgnoreRules {
  /** The names OMS requires every implementation to exclude; recorded in every bundle. */
  static final List<String> GIT_DEFAULTS = List.of(".git", ".gitattributes", ".github", ".gitignore");

  private final Set<String> explicit;
  private final Set<String> signedTopLevel;

  private IgnoreRules(Set<String> explicit, Set<String> signedTopLevel) {
    this.explicit = Set.copyOf(explicit);
    this.signedTopLevel = Set.copyOf(signedTopLevel);
  }

  /** Rules for signing: {@code explicit} (normalised relative paths) plus the default rule. */
  static IgnoreRules forSigning(Set<String> explicit) {
    return new IgnoreRules(explicit, Set.of());
  }

  /**
   * Rules for verifying: as for signing, except that the default rule spares the top-level names
   * of {@code signedPaths}.
   */
  static IgnoreRules forVerifying(Set<String> explicit, Set<String> signedPaths) {
    Set<String> top = new TreeSet<>();
    for (String p : signedPaths) {
      int slash = p.indexOf('/');
      top.add(slash < 0 ? p : p.substring(0, slash));
    }
    return new IgnoreRules(explicit, top);
  }

  Set<String> explicit() {
    return explicit;
  }

  /** Whether the relative path {@code rel} (and so everything below it) is left out. */
  boolean ignored(String rel) {
    if (isDefaultIgnored(rel)) {
      return true;
    }
    for (String p : explicit) {
      if (rel.equals(p) || (rel.startsWith(p) && rel.charAt(p.length()) == '/')) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code rel} is a top-level git entry left out by the default rule. */
  boolean isDefaultIgnored(String rel) {
    return rel.indexOf('/') < 0 && rel.startsWith(".git") && !signedTopLevel.contains(rel);
  }

  /**
   * Normalises a model-relative path: {@code /} separators, no empty or {@code .} components.
   *
   * @return the normalised path, or {@code null} if it is absolute, climbs with {@code ..}, or is
   *     empty
   */
  static String normalize(String path) {
    if (path.isEmpty() || path.startsWith("/")) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        return null;
      }
      parts.add(part);
    }
    return parts.isEmpty() ? null : String.join("/", parts);
  }
}
