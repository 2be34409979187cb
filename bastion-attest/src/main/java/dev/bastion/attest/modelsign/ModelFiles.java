package dev.bastion.attest.modelsign;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Lists the regular files of a model: a directory walked recursively, or a single file.
 *
 * <p>Security properties: symbolic links are refused unless allowed; when allowed, a link is
 * followed only if its target lies inside the model root, and a link back to a directory being
 * walked (a cycle) is refused. Sockets, pipes and devices are refused. Every file is later opened
 * without following a link in its last component, so a file swapped for a link between listing and
 * hashing fails instead of being read through the link.
 */
final class ModelFiles {
  /** Deeper trees are refused rather than risking the stack on a crafted model. */
  static final int MAX_DEPTH = 256;

  /** The name of a single-file model's only resource, as the reference implementation writes. */
  static final String SINGLE_FILE_NAME = ".";

  private ModelFiles() {}

  /**
   * One file of the model.
   *
   * @param name the model-relative POSIX path ({@code .} for a single-file model)
   * @param path where to read it (the target, for a followed link)
   * @param size its size when listed
   * @param followLink whether {@code path} was reached through a symbolic link
   */
  record ModelFile(String name, Path path, long size, boolean followLink) {
    ModelFile {
      Objects.requireNonNull(name);
      Objects.requireNonNull(path);
    }
  }

  /**
   * What a walk found.
   *
   * @param root the model path, absolute
   * @param singleFile whether the model is one file
   * @param files the files, in no particular order
   * @param defaultIgnored top-level git entries the default rule left out
   */
  record Listing(Path root, boolean singleFile, List<ModelFile> files, SortedSet<String> defaultIgnored) {
    Listing {
      files = List.copyOf(files);
      defaultIgnored = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(defaultIgnored));
    }

    /** The model's name: the last component of its real path. */
    String modelName() {
      Path name = root.getFileName();
      return name == null ? "model" : name.toString();
    }
  }

  /**
   * Lists the model at {@code model}.
   *
   * @throws BadInputException if it does not exist, is a special file, holds a link that is not
   *     allowed or leads outside the model, or cannot be read
   */
  static Listing list(Path model, boolean allowSymlinks, IgnoreRules rules)
      throws BadInputException {
    Path root = model.toAbsolutePath().normalize();
    try {
      BasicFileAttributes a = attributes(root);
      if (a.isSymbolicLink()) {
        if (!allowSymlinks) {
          throw new BadInputException(
              model + ": the model path is a symbolic link; give the real path");
        }
        root = root.toRealPath();
        a = Files.readAttributes(root, BasicFileAttributes.class);
      }
      checkName(root.getFileName() == null ? "" : root.getFileName().toString(), model.toString());
      if (a.isRegularFile()) {
        return new Listing(
            root, true, List.of(new ModelFile(SINGLE_FILE_NAME, root, a.size(), false)), new TreeSet<>());
      }
      if (!a.isDirectory()) {
        throw new BadInputException(model + ": not a regular file or a directory");
      }
      Walk w = new Walk(root.toRealPath(), allowSymlinks, rules);
      Set<Path> ancestors = new HashSet<>();
      ancestors.add(w.rootReal);
      w.walk(root, w.rootReal, "", ancestors, 0);
      return new Listing(root, false, w.files, w.defaultIgnored);
    } catch (NoSuchFileException e) {
      throw new BadInputException(model + ": no such model file or directory", e);
    } catch (IOException e) {
      throw new BadInputException(model + ": cannot read the model: " + e, e);
    }
  }

  private static BasicFileAttributes attributes(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  /** A name that cannot be written losslessly in the JSON bundle is refused (OMS 6.1.2). */
  private static void checkName(String name, String where) throws BadInputException {
    if (name.indexOf('\uFFFD') >= 0) {
      throw new BadInputException(where + ": the file name is not valid UTF-8");
    }
  }

  /** A link in a model whose serialization allows none: on verifying, a changed model. */
  static final class LinkNotAllowed extends BadInputException {
    private static final long serialVersionUID = 1L;

    LinkNotAllowed(String message) {
      super(message);
    }
  }

  private static final class Walk {
    final Path rootReal;
    final boolean allowSymlinks;
    final IgnoreRules rules;
    final List<ModelFile> files = new ArrayList<>();
    final SortedSet<String> defaultIgnored = new TreeSet<>();

    Walk(Path rootReal, boolean allowSymlinks, IgnoreRules rules) {
      this.rootReal = rootReal;
      this.allowSymlinks = allowSymlinks;
      this.rules = rules;
    }

    /**
     * Walks {@code dir} (whose real path is {@code dirReal}) whose entries are named below
     * {@code prefix}; {@code ancestors} holds the real paths of the directories being walked.
     */
    void walk(Path dir, Path dirReal, String prefix, Set<Path> ancestors, int depth)
        throws IOException, BadInputException {
      if (depth > MAX_DEPTH) {
        throw new BadInputException(prefix + ": the model is nested deeper than " + MAX_DEPTH);
      }
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        ds.forEach(entries::add);
      } catch (DirectoryIteratorException e) {
        throw e.getCause();
      }
      for (Path entry : entries) {
        String fname = entry.getFileName().toString();
        String rel = prefix.isEmpty() ? fname : prefix + "/" + fname;
        checkName(fname, rel);
        if (rules.ignored(rel)) {
          if (rules.isDefaultIgnored(rel)) {
            defaultIgnored.add(rel);
          }
          continue;
        }
        BasicFileAttributes a = attributes(entry);
        if (a.isSymbolicLink()) {
          followLink(entry, rel, ancestors, depth);
        } else if (a.isDirectory()) {
          Path real = dirReal.resolve(fname);
          ancestors.add(real);
          walk(entry, real, rel, ancestors, depth + 1);
          ancestors.remove(real);
        } else if (a.isRegularFile()) {
          files.add(new ModelFile(rel, entry, a.size(), false));
        } else {
          throw new BadInputException(rel + ": not a regular file or a directory");
        }
      }
    }

    private void followLink(Path entry, String rel, Set<Path> ancestors, int depth)
        throws IOException, BadInputException {
      if (!allowSymlinks) {
        throw new LinkNotAllowed(
            rel + ": is a symbolic link, and this model's serialization does not allow links");
      }
      Path target;
      try {
        target = entry.toRealPath();
      } catch (IOException e) {
        throw new BadInputException(rel + ": symbolic link to nothing (" + e.getMessage() + ")", e);
      }
      if (!target.startsWith(rootReal)) {
        throw new BadInputException(rel + ": symbolic link leads outside the model, to " + target);
      }
      BasicFileAttributes t = Files.readAttributes(target, BasicFileAttributes.class);
      if (t.isDirectory()) {
        if (ancestors.contains(target)) {
          throw new BadInputException(rel + ": symbolic link makes a cycle (to " + target + ")");
        }
        ancestors.add(target);
        walk(target, target, rel, ancestors, depth + 1);
        ancestors.remove(target);
      } else if (t.isRegularFile()) {
        files.add(new ModelFile(rel, target, t.size(), true));
      } else {
        throw new BadInputException(rel + ": symbolic link to a special file");
      }
    }
  }
}
