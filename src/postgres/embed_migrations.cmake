# Writes a C++ source holding every migrations/postgresql/NNNN_name.sql as a
# string, in file-name order, for src/postgres/migrations.hpp. The SQLite
# migrations have their own (cmake/EmbedMigrations.cmake); the checks are the
# same: names NNNN_name.sql, numbered 1, 2, 3 … with no gaps.
# Run as: cmake -DOUTPUT=… -DINPUTS=a.sql;b.sql -P embed_migrations.cmake
set(body "")
set(expected 1)
foreach(input IN LISTS INPUTS)
  get_filename_component(name "${input}" NAME_WE)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)$")
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${input}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migrations must be numbered 1, 2, 3 … without gaps; expected ${expected}, got ${input}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${input}" sql)
  if(sql MATCHES "\\)rjsql\"")
    message(FATAL_ERROR "${input} contains the raw-string delimiter )rjsql\"")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"rjsql(${sql})rjsql\"},\n")
endforeach()
if(expected EQUAL 1)
  message(FATAL_ERROR "no PostgreSQL migrations found")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from migrations/postgresql/*.sql by src/postgres/embed_migrations.cmake. Do not edit.\n#include \"postgres/migrations.hpp\"\n\nnamespace runjournal::pg {\n\nconst std::vector<Migration>& migrations() {\n  static const std::vector<Migration> list = {\n${body}  };\n  return list;\n}\n\n}  // namespace runjournal::pg\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
