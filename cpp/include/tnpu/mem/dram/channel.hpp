#pragma once
// One DRAM channel: the part of DramController that wires the channel's pieces together. It owns the requests
// (slots, bursts), the transaction queues (read, write, activated), admission and completions, the event-driven
// wake-ups, and runs one step per cycle: refresh (dram::RefreshPolicy), the write-drain decision
// (dram::WriteDrain), then one command from FR-FCFS over the shared queues or from DRAMsim3's per-bank arbitration
// (dram::BankQueueScheduler), issued into the timing state (dram::TimingState). Internal to the controller (see
// tnpu/mem/dram_controller.hpp for the contract).
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram/bank_queues.hpp"
#include "tnpu/mem/dram/completion_fifo.hpp"
#include "tnpu/mem/dram/fr_fcfs.hpp"
#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram/refresh_policy.hpp"
#include "tnpu/mem/dram/testing_modes.hpp"
#include "tnpu/mem/dram/timing_state.hpp"
#include "tnpu/mem/dram/txn_queue.hpp"
#include "tnpu/mem/dram/write_drain.hpp"
#include "tnpu/mem/dram_controller.hpp"
#include "tnpu/sim/event_queue.hpp"
#include "tnpu/sim/kernel.hpp"

#if defined(TNPU_PROFILE) && defined(__GNUC__)
#define TNPU_PROFILE_BOUNDARY [[gnu::noinline]]
#else
#define TNPU_PROFILE_BOUNDARY
#endif

namespace tnpu {

class DramChannel final : private EventHandler {
 public:
  DramChannel(DramController& owner, const DramSpec& spec, const DramCounters& counters);

  bool send(const Request& request, Initiator& from, const DramAddress& a);
  // A multi-line request of `lines` lines (contract checked by the controller). prefix: accept the longest prefix
  // that per-line sends would accept; else all lines or none. Returns the lines accepted.
  std::uint32_t send_burst(const Request& request, Initiator& from, const DramAddress& a, std::uint32_t lines,
                           bool prefix);
  // DramController::refuse_ahead for a single line (contract checked by the controller).
  bool refuse_ahead(const Request& next, Initiator& from);
  // The paced feeder (DramController::feed): whether an offer at cycle d can be decided now (no step of this
  // channel comes before it), the offer itself (accepted, or refused and counted), and the cycle of the step that
  // freed a queue entry after the last refusal (kNever: none yet).
  [[nodiscard]] bool offer_decidable(std::uint64_t d) const noexcept {
    return wake_cycle_ >= d && (last_step_cycle_ == dram::kNever || last_step_cycle_ < d);
  }
  bool offer_paced(const Request& request, Initiator& from, const DramAddress& a, std::uint64_t d);
  [[nodiscard]] std::uint64_t paced_retry_cycle() const noexcept { return paced_retry_; }
  // From now on every request comes from `source` (DramController::pace): completions are reported to it without a
  // kernel event each (deliver_paced).
  void set_paced(PacedSource& source) noexcept { paced_source_ = &source; }
  // Some initiator has sent to this channel.
  [[nodiscard]] bool has_initiator() const noexcept { return sole_ != nullptr; }
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return live_; }
  [[nodiscard]] std::uint64_t wakeups() const noexcept { return wakeups_; }
  [[nodiscard]] double active_cycles(std::size_t rank) const noexcept;

 private:
  enum EventKind : std::uint64_t {
    kWake = 0,
    kReadDone = 1,
    kWriteDone = 2,
    kForwardDone = 3,
    kRetry = 4,
    kPacedSweep = 5,  // (cycle << 3): the paced source's completions up to that cycle
  };
  struct Slot {
    Request request;
    Initiator* from = nullptr;
    std::uint64_t arrive_cycle = 0;
    std::uint32_t rank = 0, bankgroup = 0, bank = 0, row = 0;
    std::uint32_t flat_bank = 0;  // rank * banks + bankgroup * banks_per_group + bank
    std::uint32_t flat_group = 0;  // rank * bankgroups + bankgroup
    std::uint32_t burst = kNoBurst;  // the multi-line request this line belongs to
    bool is_write = false;
    bool classified = false;
  };
  struct Burst {
    Request request;  // as accepted (size_bytes: the accepted lines)
    Initiator* from = nullptr;
    std::uint32_t lines = 0;
    std::uint32_t unfinished = 0;  // lines whose column command (or forward) has not happened yet
    std::uint32_t done = 0;        // lines whose completion has been processed
    bool notify = false;           // Request::kNotifyLines
  };

  void handle_event(std::uint64_t arg) override;
  // One cycle's work: the channel's whole scheduling. Out of line in profiling builds (TNPU_PROFILE), so that a
  // profile separates the channel's own cost from the event kernel and the initiators (benchmarks/dram_cost.py).
  TNPU_PROFILE_BOUNDARY void step(std::uint64_t c);
  void schedule_wake(std::uint64_t cycle);
  [[nodiscard]] std::uint64_t now_cycle() const noexcept;

  // Issues cmd (timing state, counters, and in per-bank mode the bank queues to examine again).
  void issue(DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t flat_bank, std::uint64_t c);
  // issue() as the refresh policy calls it.
  [[nodiscard]] auto issuer() noexcept {
    return [this](DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t bank, std::uint64_t c) {
      issue(cmd, rank, group, bank, c);
    };
  }
  // Issues cmd for slot s and finishes the request if it was its column command. Returns true if finished.
  bool issue_for(std::uint32_t slot, DramCommand cmd, std::uint64_t c);
  // Queues line `line` (a request of its own, or a line of a burst) at cycle c; the capacity was checked.
  void accept_line(const Request& line, Initiator& from, const DramAddress& a, std::uint64_t c, std::uint32_t burst);
  void reject(Initiator& from);
  // Keeps track of whether one initiator only has ever sent to this channel (refuse_ahead needs it).
  void note_initiator(Initiator& from) noexcept {
    if (&from == sole_) return;
    if (sole_ == nullptr) {
      sole_ = &from;
    } else {
      shared_ = true;
    }
  }
  // A finished line's completion at `cycle`: a kernel event only if someone is called back.
  void push_done(dram::CompletionFifo& fifo, std::uint64_t kind, std::uint64_t cycle, std::uint32_t id);
  void process_done(const dram::CompletionFifo::Item& item);
  // The paced source's completions due by cycle c, reported each with its own time (after a step, and by the event
  // a step with no step ahead schedules at the last one's cycle, which ends the simulation when the completion
  // events would have).
  void deliver_paced(std::uint64_t c);

  // FR-FCFS's pick from q (issued; a finished request leaves q, an activated one moves to act_q_ if promoted).
  bool pick_shared(dram::TxnQueue& q, std::uint64_t c, std::uint64_t& wake, bool is_act_q);
  // Issues the first legal command in round-robin order. second: the dual-command pick (dual_command) after a
  // first command of kind first_column in this cycle: the next legal command in that order issues only if it is of
  // the other kind (row vs column), as DRAMsim3's hbm_dual_cmd; either way the round robin moves to its queue.
  bool pick_bank_queues(std::uint64_t c, bool second = false, bool first_column = false);
  [[nodiscard]] std::uint64_t next_legal_cycle(std::uint64_t c) noexcept;
  bool move_transaction();
  [[nodiscard]] bool movable_exists() const noexcept;
  // The write mode (and dramsim3 drain count) the next update_write_mode() would set.
  [[nodiscard]] bool next_write_mode(std::uint64_t& drain_left) const noexcept {
    return drain_.next(read_q_.size(), write_q_.size(), bank_queues_.total() == 0 && act_q_.empty(), drain_left);
  }
  void update_write_mode() noexcept {
    // No write queued and no drain under way: read mode, whatever the rest (what update() computes then).
    if (write_q_.empty() && drain_.drain_left() == 0) {
      drain_.read_mode();
      return;
    }
    drain_.update(read_q_.size(), write_q_.size(), bank_queues_.total() == 0 && act_q_.empty());
  }
  [[nodiscard]] bool movable_exists(bool write_mode) const noexcept { return bank_queues_.movable(write_mode); }
  // Whether a request just queued can change what the next step does (else no wake-up is needed for it).
  [[nodiscard]] bool arrival_matters() const noexcept;

  // The forwarding filter: writes in write_q_ counted per bucket of their address (line index modulo kFwdBuckets),
  // so that a read whose bucket holds none is known not to match any write without reading the write slots.
  static constexpr std::size_t kFwdBuckets = 512;
  [[nodiscard]] std::size_t fwd_bucket(std::uint64_t address) const noexcept {
    return static_cast<std::size_t>(address >> line_shift_) & (kFwdBuckets - 1);
  }
  // A write slot enters (+1) or leaves (-1) write_q_.
  void fwd_note(std::uint32_t slot, bool enters) noexcept {
    std::uint32_t& n = fwd_count_[fwd_bucket(slots_[slot].request.address)];
    n = enters ? n + 1 : n - 1;
  }
  // A read of `address` is served from the write queue (a write to the same address waits there).
  [[nodiscard]] bool forwarded(std::uint64_t address) const noexcept {
    if (fwd_count_[fwd_bucket(address)] == 0) return false;  // (the common case: no write in its bucket)
    for (const std::uint32_t w : write_q_) {
      if (slots_[w].request.address == address) return true;
    }
    return false;
  }

  std::uint32_t alloc_slot();
  void free_slot(std::uint32_t s) { free_.push_back(s); --live_; }
  void queue_freed();

  DramController& owner_;
  const DramSpec& spec_;
  DramCounters k_;
  Picoseconds tck_;
  dram::Policies policies_;  // the spec's registered choices, resolved once (dram/policies.hpp)
  dram::TimingState timing_;
  std::uint32_t banks_per_rank_;
  bool per_bank_, promote_;
  std::uint32_t read_latency_;  // tCL + tBL
  dram::WriteDrain drain_;
  dram::RefreshPolicy refresh_;
  dram::FrFcfs fr_fcfs_;                  // scheduler fr_fcfs: shared queues
  dram::BankQueueScheduler bank_queues_;  // scheduler per_bank_round_robin: DRAMsim3's per-bank arbitration

  static constexpr std::uint32_t kNoBurst = std::numeric_limits<std::uint32_t>::max();
  std::vector<Slot> slots_;
  std::vector<Burst> bursts_;
  std::vector<std::uint32_t> free_bursts_;
  std::vector<std::uint32_t> free_;
  std::uint64_t live_ = 0;
  std::vector<std::uint32_t> bank_waiting_;  // per flat bank: requests queued and not yet served by their column cmd
  std::uint32_t banks_waiting_ = 0;          // banks with bank_waiting_ > 0
  dram::TxnQueue read_q_, write_q_, act_q_;
  // Per-bank scheduling: the flat bank of each entry of read_q_ (0) and write_q_ (1), in the same order.
  std::array<dram::TxnQueue, 2> q_bank_;
  std::uint32_t line_shift_ = 0;  // log2(line_bytes): burst index of an address
  std::array<std::uint32_t, kFwdBuckets> fwd_count_{};  // writes in write_q_ per fwd_bucket()

  dram::CompletionFifo read_done_, write_done_, forward_done_;
  std::uint64_t silent_ = 0;  // items in the three FIFOs that call nobody back (lines of bursts)
  Initiator* sole_ = nullptr;  // the first initiator that sent to this channel
  bool shared_ = false;         // another one has sent too
  // Off with tnpu._core._testing.set_dram_modes(refuse_ahead=False): every offer is made (tests compare both).
  bool refuse_ahead_enabled_ = dram::testing_modes().refuse_ahead.load();
  std::vector<Initiator*> waiting_;
  std::vector<Initiator*> retrying_;  // those being called back now (waiting_ collects the ones rejected again)
  bool retry_scheduled_ = false;
  PacedSource* paced_source_ = nullptr;     // every request comes from it (completions without events)
  std::uint64_t paced_pending_ = 0;         // its completions queued and not yet reported
  std::uint64_t paced_next_ = dram::kNever;  // the earliest of their cycles (kNever: none)
  std::uint64_t paced_last_ = 0;            // the latest cycle of any of its completions so far
  bool paced_waiting_ = false;                // the paced source's offer was refused: the next freed entry retries
  std::uint64_t paced_retry_ = dram::kNever;  // the cycle of that step
  // A retry due from a wake-up's step: its event's place (taken when the queue entry was freed), scheduled at the
  // step's end, or run there as the first event the wake-up's continuation runs ahead (Kernel::continue_at_after).
  bool retry_deferred_ = false;
  EventTicket retry_ticket_{};

  bool idle_ = true;  // the last step ended with nothing queued (refreshes since then are caught up lazily)
  std::uint64_t last_step_cycle_ = dram::kNever;  // a channel steps at most once per cycle
  std::uint64_t wake_cycle_ = dram::kNever;  // the earliest wake-up scheduled and not yet run
  std::uint64_t wake_seq_ = 0;
  std::uint64_t wakeups_ = 0;
  bool run_ahead_ = false;     // inside handle_event(kWake): schedule_wake() only records the cycle
  // Off with tnpu._core._testing.set_dram_modes(run_ahead=False) (benchmarks compare both paths).
  bool run_ahead_enabled_ = dram::testing_modes().run_ahead.load();
  bool virtual_wake_ = false;  // wake_cycle_ is recorded but not (yet) a kernel event
  // Verification mode (tnpu._core._testing.set_dram_modes(every_cycle=True)): step every cycle while work is
  // queued, as a cycle-driven simulator does. Tests assert it gives the same results as the event-driven wake-ups.
  bool every_cycle_ = dram::testing_modes().every_cycle.load();
};

}  // namespace tnpu
