#pragma once
// Bases for abstract interfaces: the virtual destructor and the copy rules, written once instead of four
// rule-of-five lines in every interface. `Tag` is the derived interface (CRTP), so that a class implementing several
// interfaces has distinct empty bases and the empty-base optimisation keeps it the size it would be without them.

namespace tnpu {

// An interface whose implementations may be copied (Initiator, Target, EventHandler: value-like callbacks).
template <class Tag>
class CopyableInterface {
 public:
  virtual ~CopyableInterface() = default;

 protected:
  CopyableInterface() = default;
  CopyableInterface(const CopyableInterface&) = default;
  CopyableInterface& operator=(const CopyableInterface&) = default;
};

// An interface whose implementations own state and must not be copied (Dataflow, Scheduler, TaskRunner, a byte
// source).
template <class Tag>
class NonCopyableInterface {
 public:
  NonCopyableInterface(const NonCopyableInterface&) = delete;
  NonCopyableInterface& operator=(const NonCopyableInterface&) = delete;
  virtual ~NonCopyableInterface() = default;

 protected:
  NonCopyableInterface() = default;
};

}  // namespace tnpu
