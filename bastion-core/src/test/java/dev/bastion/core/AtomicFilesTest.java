package dev.bastion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicFilesTest {
  @TempDir Path dir;

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private List<String> namesIn(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writeCreatesTheFileAndItsDirectories() throws IOException {
    Path target = dir.resolve("a/b/c.bin");

    AtomicFiles.write(target, new byte[] {1, 2, 3});

    assertThat(target).hasBinaryContent(new byte[] {1, 2, 3});
  }

  @Test
  void writeReplacesTheWholeContent() throws IOException {
    Path target = dir.resolve("f.txt");
    AtomicFiles.write(target, "a much longer first version".getBytes(StandardCharsets.UTF_8));

    AtomicFiles.write(target, "short".getBytes(StandardCharsets.UTF_8));
    assertThat(target).hasContent("short");

    AtomicFiles.write(target, new byte[0]);
    assertThat(target).isEmptyFile();
  }

  @ParameterizedTest(name = "private={0}")
  @ValueSource(booleans = {false, true})
  void noTemporaryFilesAreLeftBehind(boolean ownerOnly) throws IOException {
    Random r = new Random(42);
    for (int i = 0; i < 20; i++) {
      byte[] data = new byte[r.nextInt(10_000)];
      r.nextBytes(data);
      Path target = dir.resolve("file" + (i % 3));
      if (ownerOnly) {
        AtomicFiles.writePrivate(target, data);
      } else {
        AtomicFiles.write(target, data);
      }
      assertThat(target).hasBinaryContent(data);
    }

    assertThat(namesIn(dir)).containsExactly("file0", "file1", "file2");
  }

  @Test
  void aFailedWriteLeavesNoTemporaryFileAndKeepsTheTarget() throws IOException {
    // A non-empty directory cannot be replaced by a file: the rename fails.
    Path target = dir.resolve("occupied");
    Files.createDirectories(target);
    Files.writeString(target.resolve("inside"), "keep");

    assertThatThrownBy(() -> AtomicFiles.write(target, new byte[] {1}))
        .isInstanceOf(IOException.class);

    assertThat(namesIn(dir)).containsExactly("occupied");
    assertThat(target.resolve("inside")).hasContent("keep");
  }

  @Test
  void writePrivateIsOwnerReadWriteOnly() throws IOException {
    assumeTrue(posix(), "POSIX permissions");
    Path target = dir.resolve("secret.key");

    AtomicFiles.writePrivate(target, new byte[] {42});

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-------");
    assertThat(target).hasBinaryContent(new byte[] {42});
  }

  @Test
  void writePrivateOverAReadableFileTightensItsPermissions() throws IOException {
    assumeTrue(posix(), "POSIX permissions");
    Path target = dir.resolve("was-public");
    Files.writeString(target, "old");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));

    AtomicFiles.writePrivate(target, new byte[] {7});

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-------");
  }

  @Test
  void concurrentWritersNeverLeaveAMixedFile() throws Exception {
    Path target = dir.resolve("contended");
    int writers = 4;
    List<byte[]> versions = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      byte[] data = new byte[64 * 1024];
      java.util.Arrays.fill(data, (byte) ('A' + w));
      versions.add(data);
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        byte[] data = versions.get(w);
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 10; i++) {
                    AtomicFiles.write(target, data);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    byte[] end = Files.readAllBytes(target);
    assertThat(versions).anySatisfy(v -> assertThat(end).isEqualTo(v));
    assertThat(namesIn(dir)).containsExactly("contended");
  }

  @Test
  void fsyncDirectoryToleratesWhatItCannotOpen() throws IOException {
    AtomicFiles.fsyncDirectory(dir);
    AtomicFiles.fsyncDirectory(dir.resolve("does-not-exist"));
  }
}
