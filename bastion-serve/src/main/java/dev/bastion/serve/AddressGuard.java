package dev.bastion.serve;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Failed authentications per client address. Every failure goes on the ledger, which costs a
 * client nothing and the gateway an entry; so an address that fails more than {@code limit} times
 * within {@link #WINDOW} is banned for {@link #BAN}: its new connections are closed before any
 * TLS handshake and its requests refused, each only counted, and the ledger gets one entry when
 * the ban starts and one, with the count, when it ends. A ledger entry per failure is thus bounded
 * per address, whatever the client sends. An IPv6 client is keyed on its /64 prefix (it may hold
 * the whole prefix and rotate through it). At most {@link #MAX_ADDRESSES} addresses are tracked;
 * beyond that (many addresses failing at once) the others are not banned, and their failures
 * still go on the ledger one by one. A limit of 0 turns bans off (a gateway behind a proxy sees
 * every client at the proxy's address).
 */
final class AddressGuard {
  static final Duration WINDOW = Duration.ofMinutes(1);
  static final Duration BAN = Duration.ofMinutes(5);
  static final int MAX_ADDRESSES = 10_000;

  /** A ban that starts now, after {@code failures} failures within the window. */
  record Ban(InetAddress address, int failures) {}

  /** A ban that is over, and how many connections and requests it refused. */
  record Ended(InetAddress address, long refused) {}

  private static final class Entry {
    long windowStart;
    int failures;
    boolean banned;
    long bannedUntil;
    long refused;
  }

  private final int limit;
  private final LongSupplier nanos;
  private final Map<InetAddress, Entry> entries = new HashMap<>();
  /** Bans found over outside {@link #ended} (by a new failure), waiting to be told. */
  private final List<Ended> over = new ArrayList<>();
  /** Bans not yet over and found so: while there are none, {@link #refuse} takes no lock. */
  private volatile int bans;
  private long lastPurge;

  AddressGuard(int limit) {
    this(limit, System::nanoTime);
  }

  AddressGuard(int limit, LongSupplier nanos) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be 0 (no bans) or more");
    }
    this.limit = limit;
    this.nanos = nanos;
    this.lastPurge = nanos.getAsLong() - WINDOW.toNanos();
  }

  /**
   * The key of a peer's socket address: its IP address, an IPv6 one cut to its /64 prefix; null
   * if it has none (not an IP peer).
   */
  static InetAddress of(SocketAddress a) {
    if (!(a instanceof InetSocketAddress s) || s.getAddress() == null) {
      return null;
    }
    InetAddress ip = s.getAddress();
    if (ip instanceof Inet6Address) {
      try {
        return InetAddress.getByAddress(Arrays.copyOf(Arrays.copyOf(ip.getAddress(), 8), 16));
      } catch (UnknownHostException e) {
        throw new IllegalStateException("16 bytes are an IPv6 address", e);
      }
    }
    return ip;
  }

  /** How a key is written on the ledger: the address, or an IPv6 prefix as {@code P/64}. */
  static String describe(InetAddress key) {
    return key instanceof Inet6Address ? key.getHostAddress() + "/64" : key.getHostAddress();
  }

  /** Whether {@code a} is banned now; a refusal is counted if so. */
  boolean refuse(InetAddress a) {
    return bans != 0 && refuseBanned(a); // checked on every connection and request
  }

  private synchronized boolean refuseBanned(InetAddress a) {
    Entry e = a == null ? null : entries.get(a);
    if (e == null || !e.banned || nanos.getAsLong() - e.bannedUntil >= 0) {
      return false;
    }
    e.refused++;
    return true;
  }

  /** Counts one failed authentication from {@code a}; the ban it starts, if it starts one. */
  synchronized Optional<Ban> failed(InetAddress a) {
    if (limit == 0 || a == null) {
      return Optional.empty();
    }
    long now = nanos.getAsLong();
    Entry e = entries.get(a);
    if (e == null) {
      if (entries.size() >= MAX_ADDRESSES) {
        // Room is made from windows that are over, at most once a second: a flood from many
        // addresses must not make every failure scan the table under the lock.
        if (now - lastPurge < 1_000_000_000L) {
          return Optional.empty();
        }
        lastPurge = now;
        entries.values().removeIf(x -> !x.banned && now - x.windowStart >= WINDOW.toNanos());
        if (entries.size() >= MAX_ADDRESSES) {
          return Optional.empty();
        }
      }
      e = new Entry();
      e.windowStart = now;
      entries.put(a, e);
    }
    if (e.banned) {
      if (now - e.bannedUntil < 0) {
        return Optional.empty(); // a connection opened before the ban
      }
      // The ban is over and not yet told: it is told by the next sweep, and the address starts
      // afresh with this failure.
      over.add(new Ended(a, e.refused));
      bans--;
      e.banned = false;
      e.refused = 0;
      e.failures = 0;
      e.windowStart = now;
    }
    if (now - e.windowStart >= WINDOW.toNanos()) {
      e.windowStart = now;
      e.failures = 0;
    }
    e.failures++;
    if (e.failures <= limit) {
      return Optional.empty();
    }
    e.banned = true;
    e.bannedUntil = now + BAN.toNanos();
    bans++;
    return Optional.of(new Ban(a, e.failures));
  }

  /** The bans that are over ({@code all}: every ban, as at shutdown), forgotten as they are told. */
  synchronized List<Ended> ended(boolean all) {
    long now = nanos.getAsLong();
    List<Ended> out = new ArrayList<>(over);
    over.clear();
    for (Iterator<Map.Entry<InetAddress, Entry>> it = entries.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<InetAddress, Entry> m = it.next();
      Entry e = m.getValue();
      if (e.banned && (all || now - e.bannedUntil >= 0)) {
        out.add(new Ended(m.getKey(), e.refused));
        it.remove();
        bans--;
      } else if (!e.banned && now - e.windowStart >= WINDOW.toNanos()) {
        it.remove(); // its failures are forgotten anyway
      }
    }
    return out;
  }

  /** Addresses tracked now. */
  synchronized int tracked() {
    return entries.size();
  }
}
