package dev.bastion.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises access to one directory (a ledger, the artifact store): a lock per directory inside this JVM (file locks are
 * held per process, so two threads of one JVM cannot use them against each other), then an
 * exclusive file lock on {@code .lock} against other processes.
 */
public final class DirectoryLock {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

  private DirectoryLock() {}

  /** A held lock; closing it releases both levels. */
  public interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /**
   * Takes the lock of {@code dir}.
   *
   * @param create whether to create the lock file (a writer may; a verifier only locks a directory
   *     that has one)
   */
  public static Held lock(Path dir, boolean create) throws IOException {
    Path key = dir.toAbsolutePath().normalize();
    ReentrantLock jvm = IN_JVM.computeIfAbsent(key, k -> new ReentrantLock());
    jvm.lock();
    try {
      Path file = dir.resolve(".lock");
      if (!create && !Files.exists(file)) {
        return jvm::unlock;
      }
      FileChannel ch =
          create
              ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)
              : FileChannel.open(file, StandardOpenOption.WRITE);
      FileLock fl;
      try {
        fl = ch.lock();
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      return () -> {
        try {
          fl.release();
          ch.close();
        } finally {
          jvm.unlock();
        }
      };
    } catch (IOException | RuntimeException e) {
      jvm.unlock();
      throw e;
    }
  }
}
