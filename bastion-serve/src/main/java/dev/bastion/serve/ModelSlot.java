package dev.bastion.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Identity;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import dev.bastion.serve.guard.ExtractionDetector;
import dev.bastion.serve.guard.FeatureVectors;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model a gateway serves, with its input guard, behaviour monitor and extraction detector;
 * swapped whole for another verified version (reload, rollback), each swap on the ledger before
 * it takes effect, and the versions served before kept for rolling back.
 */
final class ModelSlot implements AutoCloseable {
  /** The model being served and the guards and monitors around it; replaced whole on a swap. */
  record Live(ServedModel model, InputGuard guard, BehaviourMonitor monitor,
      ExtractionDetector detector) {
    Live(ServedModel model, InputGuard.Policy ood, ExtractionDetector.Settings settings) {
      this(model, ood, new FeatureVectors(model.model().spec()), settings);
    }

    private Live(ServedModel model, InputGuard.Policy ood, FeatureVectors vectors,
        ExtractionDetector.Settings settings) {
      this(model, new InputGuard(model.model().spec(), model.inputProfile(), ood),
          new BehaviourMonitor(model.outputProfile()),
          new ExtractionDetector(vectors, Gateway.bounded(settings, vectors.dimension()),
              System::nanoTime));
    }
  }

  private final AtomicReference<Live> live;
  private final Gateway.ModelLoader loader;
  private final Ledger ledger;
  private final InputGuard.Policy ood;
  private final ExtractionDetector.Settings detectorSettings;
  /** How long a swapped-out model stays open for the requests still using it. */
  private final Duration grace;
  private final Object swapLock = new Object();
  /** The versions served before, the latest first. */
  private final Deque<Integer> previous = new ArrayDeque<>();
  /** The live model withdrawn because its data was erased, and why; null while none is. */
  private volatile Live withdrawnLive;
  private volatile String withdrawnReason;

  ModelSlot(ServedModel served, Gateway.ModelLoader loader, Ledger ledger, InputGuard.Policy ood,
      ExtractionDetector.Settings detectorSettings, Duration grace) {
    this.loader = loader;
    this.ledger = ledger;
    this.ood = ood;
    this.detectorSettings = detectorSettings;
    this.grace = grace;
    this.live = new AtomicReference<>(new Live(served, ood, detectorSettings));
  }

  /** What serves requests now; a request keeps the one it started with. */
  Live current() {
    return live.get();
  }

  /**
   * Why {@code l} is no longer served (its data was erased since it was loaded), if it is not.
   */
  Optional<String> withdrawn(Live l) {
    return withdrawnLive == l ? Optional.ofNullable(withdrawnReason) : Optional.empty();
  }

  /**
   * Checks again that the data the live model was made from is still there; if it was erased
   * (by {@code bastion data erase} in another process), the model is withdrawn: predictions are
   * refused from then on (503), with an alert on the ledger, until a version that verifies is
   * loaded. Called every second by the gateway.
   */
  void checkData() {
    Live l = live.get();
    if (withdrawnLive == l) {
      return;
    }
    try {
      l.model().data().check();
    } catch (VerificationException e) {
      synchronized (swapLock) {
        if (live.get() != l || withdrawnLive == l) {
          return;
        }
        withdrawnReason = "'" + l.model().name() + "' v" + l.model().version()
            + " is no longer served: " + e.getMessage();
        withdrawnLive = l;
        Map<String, String> d = new LinkedHashMap<>();
        d.put("reason", e.getMessage());
        ledger.append(Event.now(EventKind.ALERT, "gateway", "model.withdrawn",
            l.model().digest().toString(), "refused", "housekeeping", d));
      }
    } catch (IOException e) {
      // The store cannot be looked at now: the next check decides; a swap verifies in full.
    }
  }

  /** Swaps to the newest verified version of the served model. */
  void reload(Identity admin, Map<String, String> details, String requestId) throws ApiError {
    swap(current().model().name(), admin, details, requestId, "reload", false);
  }

  /**
   * Swaps back to {@code version}, or, if empty, to the version served before this one.
   *
   * @throws ApiError 409 if no version is named and none was served before
   */
  void rollback(Optional<Integer> version, Identity admin, Map<String, String> details,
      String requestId) throws ApiError {
    synchronized (swapLock) {
      if (version.isEmpty() && previous.isEmpty()) {
        throw new ApiError(409, "nothing_to_roll_back",
            "no version was served before this one; name one with {\"version\":N}");
      }
      int target = version.orElseGet(previous::peek);
      swap(current().model().name() + "@" + target, admin, details, requestId, "rollback",
          version.isEmpty());
    }
  }

  /** What is served and what was before, as the admin listener shows it. */
  byte[] status() {
    ServedModel m = current().model();
    ObjectNode o = Json.object();
    o.put("name", m.name());
    o.put("version", m.version());
    o.put("digest", m.digest().toString());
    ArrayNode before = o.putArray("previous_versions");
    synchronized (swapLock) {
      previous.forEach(before::add);
    }
    return Json.canonical(o);
  }

  /**
   * Swaps to {@code ref} once its whole chain verifies; on the ledger (a configuration change)
   * before it takes effect. A version that does not verify is refused and the model stays.
   */
  private void swap(String ref, Identity admin, Map<String, String> details,
      String requestId, String how, boolean popPrevious) throws ApiError {
    synchronized (swapLock) {
      Live old = live.get();
      ServedModel next;
      try {
        next = loader.load(ref);
      } catch (VerificationException e) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("ref", ref);
        d.put("reason", e.getMessage());
        ledger.append(Event.now(EventKind.ALERT, admin.name(), "model." + how,
            old.model().digest().toString(), "refused", requestId, d));
        throw new ApiError(409, "verification_failed",
            "'" + ref + "' does not verify, still serving v" + old.model().version() + ": "
                + e.getMessage());
      } catch (BadInputException e) {
        throw new ApiError(404, "not_found", e.getMessage());
      } catch (BastionException | IOException e) {
        throw new ApiError(503, "unavailable", "'" + ref + "' cannot be loaded now", 1);
      }
      details.put("from", "v" + old.model().version() + " " + old.model().digest());
      details.put("to", "v" + next.version() + " " + next.digest());
      if (next.digest().equals(old.model().digest()) && next.version() == old.model().version()) {
        next.close();
        details.put("changed", "false");
        if (popPrevious) {
          previous.pop(); // a stale entry: going back to it would change nothing
        }
        return;
      }
      boolean installed = false;
      try {
        ledger.append(Event.now(EventKind.CONFIG_CHANGE, admin.name(), "model." + how,
            next.digest().toString(), "ok", requestId, details));
        live.set(new Live(next, ood, detectorSettings));
        installed = true;
      } finally {
        if (!installed) {
          next.close();
        }
      }
      release(old.model());
      if (popPrevious) {
        previous.pop();
      } else {
        previous.push(old.model().version());
      }
      details.put("changed", "true");
    }
  }

  /**
   * Releases a model swapped out once the requests that may still use it are over: after the
   * grace period (the request timeout and a margin); a request still running then fails and is
   * on the ledger.
   */
  private void release(ServedModel old) {
    long graceMillis = grace.toMillis();
    Thread.ofVirtual().name("release-" + old.name() + "-v" + old.version()).start(() -> {
      try {
        Thread.sleep(graceMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        old.close();
      } catch (RuntimeException e) {
        // Nothing serves it any more; a session the runtime cannot release is freed at exit.
      }
    });
  }

  /** Releases the model served now (the gateway has stopped). */
  @Override
  public void close() {
    live.get().model().close();
  }
}
