package dev.bastion.data;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** What the text readers share: the checks on a file before reading it, strict UTF-8. */
final class InputText {
  private InputText() {}

  /**
   * Checks that {@code file} exists, is not a directory and has at most {@code maxBytes}.
   *
   * @param kind what it should be, for messages ("a CSV file")
   */
  static void checkFile(Path file, String kind, long maxBytes)
      throws BadInputException, IOException {
    String name = file.toString();
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(name + ": no such file", e);
    }
    if (Files.isDirectory(file)) {
      throw new BadInputException(name + ": is a directory, not " + kind);
    }
    if (size > maxBytes) {
      throw new BadInputException(
          name + ": " + size + " bytes is more than the limit of " + maxBytes);
    }
  }

  /**
   * {@code in} decoded as UTF-8 that reports malformed input instead of replacing it, and only
   * once every character before it was read (see {@link StrictUtf8Reader}).
   */
  static Reader strictUtf8(InputStream in) {
    return new StrictUtf8Reader(in);
  }
}
