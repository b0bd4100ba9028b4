// What sentinels answer, parsed (private): SENTINEL GET-MASTER-ADDR-BY-NAME,
// SENTINEL REPLICAS, +switch-master messages, and a server's ROLE. RESP2 and
// RESP3 replies alike. Pure functions: no I/O, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "respool/resp.hpp"
#include "respool/result.hpp"
#include "respool/sentinel.hpp"

namespace respool::detail {

// "host:port", with brackets around an IPv6 literal ("[::1]:6379").
std::string join_host_port(std::string_view host, std::string_view port);

// GET-MASTER-ADDR-BY-NAME's [ip, port] as an address; nullopt for nil (the
// sentinel doesn't know the name), an error or anything malformed.
std::optional<std::string> parse_master_addr(const Resp& reply);

// SENTINEL REPLICAS' healthy replicas, in the sentinel's order: those whose
// flags name none of s_down, o_down, disconnected. nullopt for an error
// reply (an unknown name) or anything malformed.
std::optional<std::vector<std::string>> parse_healthy_replicas(const Resp& reply);

// The new primary's address of a +switch-master message (["message",
// "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]) when
// it is about `name`; nullopt otherwise (another master, a subscription
// confirmation, anything else).
std::optional<std::string> parse_switch_master(const Resp& message, std::string_view name);

// Whether a ROLE reply says `role` ("master" / "slave").
bool role_matches(const Resp& reply, Role role);

}  // namespace respool::detail
