"""The header's table of contents against its body: every section banner and every "--- name"
subsection anchor of the implementation is listed, in order, and every listed name exists.
Prints one FAIL line per problem and ends with "N passed, M failed"."""
import re
import sys

src = open(sys.argv[1] if len(sys.argv) > 1 else 'k2onnx.h', encoding='utf-8').read()
toc = src[src.index('TABLE OF CONTENTS'):src.index('Thread safety')]
listed = []
for line in toc.split('\n'):
    m = re.match(r'^\s+(\d+)\. (.+?)(?:\s{2,}\(.*)?$', line)
    if m:
        listed.append(('section', m.group(1) + '. ' + m.group(2).strip()))
        continue
    m = re.match(r'^\s+--- (.+)$', line)
    if m:
        listed.append(('sub', m.group(1).strip()))
body = src[src.index('#ifdef K2ONNX_IMPLEMENTATION'):]
found = []
for m in re.finditer(r'^/\* =+\n   (\d+\. [^\n]+)|^/\* --- ([^\n]+?)(?: -+)? ?(?:\*/)?$', body, re.M):
    if m.group(1):
        found.append(('section', m.group(1).strip()))
    else:
        found.append(('sub', m.group(2).rstrip('- ').strip()))
passed = failed = 0
for i, (kind, name) in enumerate(found):
    ok = i < len(listed) and listed[i][0] == kind and name.startswith(listed[i][1])
    if ok:
        passed += 1
    else:
        failed += 1
        want = listed[i][1] if i < len(listed) else '(nothing)'
        print('FAIL toc entry %d: the body has %s "%s", the table lists "%s"' % (i + 1, kind, name, want))
if len(listed) != len(found):
    failed += 1
    print('FAIL toc: %d entries listed, %d in the body' % (len(listed), len(found)))
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
