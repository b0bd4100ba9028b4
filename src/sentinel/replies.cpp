// Parsing sentinels' replies (see replies.hpp).
#include "sentinel/replies.hpp"

#include <span>
#include <sstream>

namespace respool::detail {

std::string join_host_port(std::string_view host, std::string_view port) {
  std::string out;
  const bool v6 = host.find(':') != std::string_view::npos;
  out.reserve(host.size() + port.size() + 3);
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += port;
  return out;
}

std::optional<std::string> parse_master_addr(const Resp& reply) {
  auto parts = reply.list();
  if (!parts || parts->size() != 2 || (*parts)[0].empty() || (*parts)[1].empty()) return std::nullopt;
  return join_host_port((*parts)[0], (*parts)[1]);
}

std::optional<std::vector<std::string>> parse_healthy_replicas(const Resp& reply) {
  auto entries = reply.array();
  if (!entries) return std::nullopt;
  std::vector<std::string> healthy;
  for (const Resp& entry : *entries) {
    auto fields = entry.map();  // a RESP3 map, or a flat RESP2 array
    if (!fields) return std::nullopt;
    const auto ip = fields->find("ip");
    const auto port = fields->find("port");
    const auto flags = fields->find("flags");
    if (ip == fields->end() || port == fields->end() || flags == fields->end()) continue;
    bool ok = true;
    std::stringstream ss(flags->second);
    for (std::string flag; std::getline(ss, flag, ',');)
      ok = ok && flag != "s_down" && flag != "o_down" && flag != "disconnected";
    if (ok) healthy.push_back(join_host_port(ip->second, port->second));
  }
  return healthy;
}

std::optional<std::string> parse_switch_master(const Resp& message, std::string_view name) {
  auto parts = message.list();
  if (!parts || parts->size() != 3 || (*parts)[0] != "message" || (*parts)[1] != "+switch-master")
    return std::nullopt;
  std::stringstream ss((*parts)[2]);
  std::string master, old_ip, old_port, new_ip, new_port;
  if (!(ss >> master >> old_ip >> old_port >> new_ip >> new_port) || master != name) return std::nullopt;
  return join_host_port(new_ip, new_port);
}

bool role_matches(const Resp& reply, Role role) {
  auto parts = reply.array();
  if (!parts || parts->empty()) return false;
  auto first = (*parts)[0].str();
  return first && *first == (role == Role::primary ? "master" : "slave");
}

}  // namespace respool::detail
