package dev.bastion.cli;

import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file a command writes for the user ({@code -o}): checked before any work, written whole or
 * not at all, and every problem one line naming the file (exit 2), never an internal error.
 */
final class OutputFile {
  private OutputFile() {}

  /**
   * Checks {@code out} before the command does its work: its directory exists (a mistyped path
   * is not created), it is not a directory nor anything else but a regular file, and it is none
   * of {@code inputs} (which it would overwrite).
   *
   * @throws BadInputException saying which of these does not hold
   */
  static void check(Path out, Path... inputs) throws BadInputException {
    if (out.toString().isEmpty()) {
      throw new BadInputException("the output file's name is empty");
    }
    Path parent = out.toAbsolutePath().normalize().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException(out + ": no such directory " + parent);
    }
    if (Files.isDirectory(out)) {
      throw new BadInputException(out + ": is a directory; name a file");
    }
    checkPlain(out);
    for (Path in : inputs) {
      if (in != null && same(out, in)) {
        throw new BadInputException(out + ": is also an input; write the output elsewhere");
      }
    }
  }

  /**
   * Writes {@code data} to {@code out} atomically (a temporary file, then a rename).
   *
   * @throws BadInputException if it cannot be written there
   */
  static void write(Path out, byte[] data) throws BadInputException {
    checkPlain(out);
    try {
      AtomicFiles.write(out, data);
    } catch (IOException e) {
      throw new BadInputException(out + ": cannot write: " + why(e), e);
    }
  }

  /**
   * Refuses to put a file in the place of anything but a plain file: the rename that writes it
   * would replace a device (as root, {@code -o /dev/null} would become a regular file), a FIFO, a
   * socket or a symbolic link.
   */
  private static void checkPlain(Path out) throws BadInputException {
    if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(out + ": is not a regular file (a device, a pipe, a socket or a"
          + " link), which writing would replace; name a file");
    }
  }

  /** Why a file could not be written, without the temporary file's name. */
  static String why(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no file can be created there";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static boolean same(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }
}
