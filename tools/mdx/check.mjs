// Parses Markdown files as MDX (what Docusaurus does with .mdx pages) and
// reports every node MDX would run or render as a component: expressions
// in braces, JSX elements, import/export. rbgen's runbooks hold none of
// their own, so any such node came from a name in the traces. HTML
// comments (rbgen's keep markers) are removed first: MDX rejects them, and
// Docusaurus reads .md files as CommonMark, where they are comments.
import {createProcessor} from '@mdx-js/mdx'
import {readFile} from 'node:fs/promises'

const flagged = new Set(['mdxFlowExpression', 'mdxTextExpression', 'mdxJsxFlowElement', 'mdxJsxTextElement', 'mdxjsEsm'])
let bad = 0

function walk(node, file) {
  if (flagged.has(node.type)) {
    bad++
    const line = node.position ? node.position.start.line : '?'
    console.log(`${file}:${line}: ${node.type} ${JSON.stringify(node.value ?? node.name ?? '')}`)
  }
  for (const child of node.children ?? []) walk(child, file)
}

for (const file of process.argv.slice(2)) {
  let body = await readFile(file, 'utf8')
  body = body.replace(/^---\n[\s\S]*?\n---\n/, '').replace(/<!--[\s\S]*?-->/g, '')
  try {
    walk(createProcessor({format: 'mdx'}).parse(body), file)
  } catch (err) {
    bad++
    console.log(`${file}: MDX cannot parse it: ${err.message}`)
  }
}
process.exit(bad > 0 ? 1 : 0)
