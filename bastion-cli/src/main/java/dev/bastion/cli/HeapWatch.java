package dev.bastion.cli;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The heap a benchmark used, from the collector's own reports: the heap pools' total just before
 * each collection (the heap only grows between collections, so the largest of these is the peak
 * at a moment) and just after (what was still reachable). Summing each pool's own peak instead
 * would add maxima reached at different moments and overstate the peak.
 */
final class HeapWatch implements NotificationListener {
  private final Set<String> heapPools;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final AtomicLong before = new AtomicLong();
  private final AtomicLong after = new AtomicLong();
  private final AtomicLong collections = new AtomicLong();

  private HeapWatch() {
    heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .map(MemoryPoolMXBean::getName)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Starts listening to every collector. */
  static HeapWatch start() {
    HeapWatch w = new HeapWatch();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(w, null, null);
        w.emitters.add(e);
      }
    }
    return w;
  }

  /** Stops listening. */
  void stop() {
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(this);
      } catch (ListenerNotFoundException ignored) {
        // already removed
      }
    }
  }

  @Override
  public void handleNotification(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcInfo();
    before.accumulateAndGet(heap(info.getMemoryUsageBeforeGc()), Math::max);
    after.accumulateAndGet(heap(info.getMemoryUsageAfterGc()), Math::max);
    collections.incrementAndGet();
  }

  private long heap(Map<String, MemoryUsage> pools) {
    long sum = 0;
    for (var e : pools.entrySet()) {
      if (heapPools.contains(e.getKey())) {
        sum += e.getValue().getUsed();
      }
    }
    return sum;
  }

  /** The largest heap in use seen just before a collection, in bytes. */
  long before() {
    return before.get();
  }

  /** The largest heap in use seen just after a collection, in bytes. */
  long after() {
    return after.get();
  }

  /** Collections seen. */
  long collections() {
    return collections.get();
  }
}
