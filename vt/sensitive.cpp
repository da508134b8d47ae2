// vt/sensitive.cpp — placeholder translation unit; VT-x arrives with its own issue.
namespace vt {
int sensitive_catalog_version() { return 0; }
}  // namespace vt
