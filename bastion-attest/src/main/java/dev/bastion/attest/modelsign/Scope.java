package dev.bastion.attest.modelsign;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Turns the paths a user names (ignore paths, the signature file) into model-relative paths. */
final class Scope {
  private Scope() {}

  /**
   * The explicit ignore paths, relative to the model directory {@code model}.
   *
   * <p>An absolute path counts if it lies inside the model. A relative path is first taken from
   * the current directory (as the reference implementation does); if that is not inside the
   * model, it is taken from the model directory, which is what {@code --ignore-paths ignore-me}
   * means to most people. Paths outside the model name nothing in it and are skipped; the
   * signature file, when it lies inside the model, is always added.
   *
   * @throws BadInputException if a relative path climbs out of the model or names all of it
   */
  static Set<String> explicitIgnores(Path model, List<Path> ignorePaths, Optional<Path> signature)
      throws BadInputException {
    Path root = model.toAbsolutePath().normalize();
    Set<String> out = new TreeSet<>();
    for (Path p : ignorePaths) {
      String rel = relativeInside(root, p);
      if (rel == null && !p.isAbsolute()) {
        rel = IgnoreRules.normalize(p.toString());
        if (rel == null) {
          throw new BadInputException("ignore path '" + p + "' is not a path inside the model");
        }
      }
      if (rel != null) {
        out.add(rel);
      }
    }
    if (signature.isPresent()) {
      String rel = relativeInside(root, signature.get());
      if (rel != null) {
        out.add(rel);
      }
    }
    return out;
  }

  /** {@code p} relative to {@code root} if it lies strictly inside it, else {@code null}. */
  static String relativeInside(Path root, Path p) {
    Path abs = p.toAbsolutePath().normalize();
    if (abs.startsWith(root) && !abs.equals(root)) {
      return IgnoreRules.normalize(root.relativize(abs).toString());
    }
    // The same place may be spelled through a link (a temporary directory, say).
    try {
      Path rootReal = root.toRealPath();
      Path parent = abs.getParent();
      if (parent != null && Files.exists(parent)) {
        Path real = parent.toRealPath().resolve(abs.getFileName());
        if (real.startsWith(rootReal) && !real.equals(rootReal)) {
          return IgnoreRules.normalize(rootReal.relativize(real).toString());
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }
}
