package dev.bastion.attest.modelsign;

import dev.bastion.attest.modelsign.ModelFiles.ModelFile;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Computes the resources of a listed model: one SHA-256 per file, or per byte range for the
 * shards method.
 *
 * <p>Files (or ranges) are hashed in parallel on a pool of one thread per core, each reading
 * 1 MiB at a time with positional reads, largest job first, so many small files and a few large
 * ones both keep every core busy (one file bigger than the rest together still runs on one core in
 * the files method; the shards method splits it). A file whose size changes while it is hashed
 * fails the run: its digest would describe bytes nobody can name.
 */
final class ModelHasher {
  /** Large reads: fewer system calls, and the digest loop stays in the SHA-256 intrinsic. */
  static final int READ_SIZE = 1 << 20;

  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[READ_SIZE]);

  private ModelHasher() {}

  /** The manifest of {@code listing} under serialization {@code s}, in canonical order. */
  static Manifest manifest(ModelFiles.Listing listing, Serialization s) throws BadInputException {
    return Manifest.sorted(listing.modelName(), s, hash(listing.files(), s));
  }

  /** The resources of {@code files} under {@code s}, in no particular order. */
  static List<Resource> hash(List<ModelFile> files, Serialization s) throws BadInputException {
    List<Job> jobs = new ArrayList<>();
    for (ModelFile f : files) {
      if (s.method() == Serialization.Method.FILES) {
        jobs.add(new Job(f, 0, f.size(), f.name()));
      } else {
        // An empty file has no byte range, so the shards method lists nothing for it (OMS 6.3.2,
        // as the reference implementation does).
        for (long start = 0; start < f.size(); start += s.shardSize()) {
          long end = Math.min(f.size(), start + s.shardSize());
          jobs.add(new Job(f, start, end, new Resource.ShardName(f.name(), start, end).wire()));
        }
      }
    }
    int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), jobs.size()));
    if (threads <= 1) {
      List<Resource> out = new ArrayList<>();
      for (Job j : jobs) {
        out.add(j.run());
      }
      return out;
    }
    // Largest first (longest-processing-time order): the pool's queue is FIFO, so the big files
    // start at once and the small ones fill the gaps at the end, instead of one big file listed
    // last running alone on one core while the others sit idle.
    jobs.sort(Comparator.comparingLong(Job::length).reversed());
    ExecutorService pool = Executors.newFixedThreadPool(threads, new HashThreads());
    try {
      List<Future<Resource>> futures = new ArrayList<>();
      for (Job j : jobs) {
        futures.add(pool.submit(j::run));
      }
      List<Resource> out = new ArrayList<>();
      for (Future<Resource> f : futures) {
        out.add(f.get());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BadInputException b) {
        throw b;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("hashing failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadInputException("interrupted while hashing the model", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** One unit of work: bytes [start, end) of a file, to be named {@code name}. */
  private record Job(ModelFile file, long start, long end, String name) {
    long length() {
      return end - start;
    }

    Resource run() throws BadInputException {
      try {
        return new Resource(name, digest(file, start, end));
      } catch (IOException e) {
        throw new BadInputException(file.name() + ": cannot read: " + e.getMessage(), e);
      }
    }
  }

  private static Digest digest(ModelFile f, long start, long end) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = BUFFER.get();
    ByteBuffer bb = ByteBuffer.wrap(buf);
    // Not following a link in the last component: a file replaced by a link after listing fails.
    // (A followed link was listed by its resolved target, which is itself no link.)
    try (FileChannel ch =
        FileChannel.open(f.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long pos = start;
      while (pos < end) {
        bb.clear();
        bb.limit((int) Math.min(buf.length, end - pos));
        int n = ch.read(bb, pos);
        if (n < 0) {
          break;
        }
        md.update(buf, 0, n);
        pos += n;
      }
      if (pos != end || ch.size() != f.size()) {
        throw new IOException("the file changed while it was being hashed");
      }
    }
    return Digest.ofRaw(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Daemon threads: a stuck read never keeps the JVM alive after the command has answered. */
  private static final class HashThreads implements ThreadFactory {
    private final AtomicInteger n = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "bastion-hash-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
