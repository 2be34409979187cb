package dev.bastion.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading a whole input file with a size limit, refusing with one clear line. */
public final class InputFiles {
  /** The default limit for definitions, schemas and policies. */
  public static final long MAX_DOCUMENT_BYTES = 1 << 20;

  private InputFiles() {}

  /**
   * The bytes of {@code file}.
   *
   * @param what names the kind of file in messages ("schema file", "policy file")
   * @throws BadInputException if it is missing, a directory, or larger than {@code maxBytes}
   */
  public static byte[] read(Path file, String what, long maxBytes)
      throws BadInputException, IOException {
    try {
      if (Files.isDirectory(file)) {
        throw new BadInputException(file + ": is a directory, not " + a(what));
      }
      long size = Files.size(file);
      if (size > maxBytes) {
        throw new BadInputException(
            file + ": " + size + " bytes is more than the limit of " + maxBytes + " for "
                + a(what));
      }
      // Read with the limit, not by the size: a device or a pipe (/dev/zero, <(...)) says 0 and
      // may never end; a file may also grow while it is read.
      try (java.io.InputStream in = Files.newInputStream(file)) {
        byte[] b = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
        if (b.length > maxBytes) {
          throw new BadInputException(file + ": more than the limit of " + maxBytes
              + " bytes for " + a(what));
        }
        return b;
      }
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such " + what, e);
    }
  }

  /** {@code what} with its indefinite article: "a checkpoint file", "an ONNX model file". */
  private static String a(String what) {
    return (!what.isEmpty() && "aeiouAEIOU".indexOf(what.charAt(0)) >= 0 ? "an " : "a ") + what;
  }
}
