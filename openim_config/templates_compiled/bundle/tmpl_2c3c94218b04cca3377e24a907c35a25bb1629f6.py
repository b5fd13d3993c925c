from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'README.md.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_plan = resolve('plan')
    l_0_manifest = resolve('manifest')
    l_0_targets = resolve('targets')
    l_0_charts = resolve('charts')
    l_0_secrets_file = resolve('secrets_file')
    l_0_root = resolve('root')
    l_0_secrets = resolve('secrets')
    l_0_binary = l_0_helm = l_0_missing = missing
    try:
        t_1 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['list']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'list' found.")
    try:
        t_4 = environment.filters['map']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'map' found.")
    try:
        t_5 = environment.filters['rejectattr']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'rejectattr' found.")
    try:
        t_6 = environment.filters['selectattr']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No filter named 'selectattr' found.")
    pass
    l_0_binary = environment.getattr(environment.getattr(environment.getattr((undefined(name='plan') if l_0_plan is missing else l_0_plan), 'model'), 'targets'), 'binary')
    context.vars['binary'] = l_0_binary
    context.exported_vars.add('binary')
    l_0_helm = environment.getattr(environment.getattr(environment.getattr((undefined(name='plan') if l_0_plan is missing else l_0_plan), 'model'), 'targets'), 'helm')
    context.vars['helm'] = l_0_helm
    context.exported_vars.add('helm')
    yield '# OpenIM '
    yield str(environment.getattr(environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'model'), 'serverTag'))
    yield ': offline bundle ('
    yield str(t_1(context.eval_ctx, (undefined(name='targets') if l_0_targets is missing else l_0_targets), ', '))
    yield ')\n\nMade by openim-gen '
    yield str(environment.getattr(environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'generator'), 'version'))
    yield ' from one `openim.yaml` (model digest\n`'
    yield str(environment.getattr(environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'model'), 'sha256')[:16])
    yield '…`, full value in `manifest.json`). Everything needed to go from\nthis archive to a running deployment without network is in here, or named below when it must\ncome from elsewhere.\n\n| path | what |\n|---|---|\n| `README.md` | this guide |\n| `manifest.json` | model digest, openim-gen version, targets, every image (tag, digest when pinned), every file |\n| `SHA256SUMS` | checksum of every other file (`sha256sum -c SHA256SUMS`) |\n| `images.txt` | every image reference the deployment uses, one a line |\n| `scripts/` | `save-images.sh` (connected side), `load-images.sh` and `install.sh` (offline side) |\n'
    if ('binary' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield "| `deploy/binary/<host>/` | per host: systemd units, OpenIM config files and the host's own `install.sh` |\n"
    if ('compose' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield '| `deploy/compose/` | `compose.yaml` and the config files it mounts |\n'
    if ('helm' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield '| `'
        yield str(environment.getitem((undefined(name='charts') if l_0_charts is missing else l_0_charts), 'helm'))
        yield '` | the Helm chart, packaged |\n'
    if t_3(context.eval_ctx, t_6(context, environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'images'), 'archive')):
        pass
        yield '| `images/` | the saved images |\n'
    if environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'binaries'):
        pass
        yield '| `binaries/` | the OpenIM binaries, installed into `'
        yield str(context.call(environment.getattr(environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'install_dir'), 'rstrip'), '/'))
        yield '/bin` |\n'
    if (undefined(name='secrets_file') if l_0_secrets_file is missing else l_0_secrets_file):
        pass
        yield '| `'
        yield str((undefined(name='secrets_file') if l_0_secrets_file is missing else l_0_secrets_file))
        yield '` | **credentials**: keep this archive private, delete it once installed |\n'
    yield '\n## 1. Check the package\n\n```sh\ntar -xzf '
    yield str((undefined(name='root') if l_0_root is missing else l_0_root))
    yield '.tar.gz && cd '
    yield str((undefined(name='root') if l_0_root is missing else l_0_root))
    yield '\nsha256sum -c SHA256SUMS          # or, where openim-gen is installed: openim-gen bundle --verify ARCHIVE\n```\n\nEvery `install.sh` run repeats this check and stops on a damaged file.\n\n## 2. Images\n\n'
    if environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'registry'):
        pass
        yield 'Every image reference was rewritten to the private registry `'
        yield str(environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'registry'))
        yield '`\n(`HOST/PREFIX/<last path component of the repository>:<tag>`).\n'
    else:
        pass
        yield 'Image references are the public ones (the bundle was made without `--registry`): load the\nimages into the local container runtime of every host that runs them.\n'
    if t_3(context.eval_ctx, t_6(context, environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'images'), 'digest')):
        pass
        yield 'Pinned images (`name@sha256:…`) keep their digest when saved with skopeo and pushed with\n`load-images.sh push`; `docker load` keeps only the tag, so a pinned reference needs a registry.\n'
    yield '\n'
    l_0_missing = t_3(context.eval_ctx, t_5(context, environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'images'), 'archive'))
    context.vars['missing'] = l_0_missing
    context.exported_vars.add('missing')
    if (undefined(name='missing') if l_0_missing is missing else l_0_missing):
        pass
        yield str(t_2((undefined(name='missing') if l_0_missing is missing else l_0_missing)))
        yield ' image(s) are not in this bundle yet. On a machine with network access\n(docker or skopeo installed), save them, then carry the `images/` directory in with the bundle\n(or rebuild the bundle with `openim-gen bundle ... --images-dir images`):\n\n```sh\nsh scripts/save-images.sh        # OPENIM_PLATFORM=linux/arm64 for ARM hosts\n```\n'
    else:
        pass
        yield 'Every image is in `images/`.\n'
    yield '\nOn the offline side:\n\n```sh\n'
    if (('compose' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)) or ('binary' in (undefined(name='targets') if l_0_targets is missing else l_0_targets))):
        pass
        yield 'sh scripts/load-images.sh docker       # compose'
        if ('binary' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
            pass
            yield ", and the binary target's infrastructure host"
        yield '\n'
    if ('helm' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield 'sh scripts/load-images.sh containerd   # on every Kubernetes node, or:\n'
    if environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'registry'):
        pass
        yield 'sh scripts/load-images.sh push         # once, into '
        yield str(environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'registry'))
        yield ' (log in first)\n'
    yield '```\n\n| image | pulled from | used by |\n|---|---|---|\n'
    for l_1_image in environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'images'):
        _loop_vars = {}
        pass
        yield '| `'
        yield str(environment.getattr(l_1_image, 'reference'))
        yield '` | `'
        yield str(environment.getattr(l_1_image, 'source'))
        yield '` | '
        yield str(t_1(context.eval_ctx, environment.getattr(l_1_image, 'usedBy'), ', '))
        yield ' ('
        yield str(t_1(context.eval_ctx, environment.getattr(l_1_image, 'targets'), ', '))
        yield ') |\n'
    l_1_image = missing
    yield '\n## 3. Credentials\n\n'
    if (undefined(name='secrets_file') if l_0_secrets_file is missing else l_0_secrets_file):
        pass
        yield 'The credentials are in `'
        yield str((undefined(name='secrets_file') if l_0_secrets_file is missing else l_0_secrets_file))
        yield '`; `install.sh` extracts it in place (mode 0600).\nAnyone holding this bundle holds every password: keep it on controlled media only.\n'
    elif (undefined(name='secrets') if l_0_secrets is missing else l_0_secrets):
        pass
        yield 'The bundle carries **no credentials**. Before installing, put these files in place (mode 0600),\nfor example written by `openim-gen build -o deploy` with the same model (it writes them at\nexactly these paths) and carried over a separate, controlled channel:\n\n'
        for l_1_path in (undefined(name='secrets') if l_0_secrets is missing else l_0_secrets):
            _loop_vars = {}
            pass
            yield '- `'
            yield str(l_1_path)
            yield '`\n'
        l_1_path = missing
    else:
        pass
        yield 'This deployment reads no credential files.\n'
    yield "\n## 4. Install\n\nRun from the bundle's directory; each command reports the exit code of any step that fails.\n\n"
    if ('compose' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield '**compose** (one Docker host, Docker Compose v2):\n\n```sh\nsh scripts/install.sh compose          # docker compose up -d --pull never\ndocker compose -f deploy/compose/compose.yaml ps\n```\n\n'
    if ('binary' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield '**binary** (systemd hosts: '
        yield str(t_1(context.eval_ctx, t_4(context, environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'hosts'), attribute='name'), ', '))
        yield '; copy the bundle to each, as root):\n\n```sh\nsh scripts/install.sh binary '
        yield str(environment.getattr(environment.getitem(environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'hosts'), 0), 'name'))
        yield '    # first the infrastructure host'
        if (t_2(environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'hosts')) > 1):
            pass
            yield ', then each other host by name'
        yield '\nsh deploy/binary/'
        yield str(environment.getattr(environment.getitem(environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'hosts'), 0), 'name'))
        yield '/install.sh status\n```\n\n'
        if (not environment.getattr((undefined(name='manifest') if l_0_manifest is missing else l_0_manifest), 'binaries')):
            pass
            yield 'This bundle has no `binaries/`: put the OpenIM executables into `'
            yield str(context.call(environment.getattr(environment.getattr((undefined(name='binary') if l_0_binary is missing else l_0_binary), 'install_dir'), 'rstrip'), '/'))
            yield '/bin` first.\n'
        yield '\n'
    if ('helm' in (undefined(name='targets') if l_0_targets is missing else l_0_targets)):
        pass
        yield '**helm** (Kubernetes, Helm 3 or 4):\n\n```sh\nsh scripts/install.sh helm             # helm upgrade --install '
        yield str(environment.getattr((undefined(name='helm') if l_0_helm is missing else l_0_helm), 'release'))
        yield ' -n '
        yield str(environment.getattr((undefined(name='helm') if l_0_helm is missing else l_0_helm), 'namespace'))
        yield '\nkubectl -n '
        yield str(environment.getattr((undefined(name='helm') if l_0_helm is missing else l_0_helm), 'namespace'))
        yield ' get pods\n```\n\n'
    yield 'Exit codes: `0` done; otherwise the exit code of the step that failed, printed with it.\n'

blocks = {}
debug_info = '1=55&2=58&3=62&5=66&6=68&17=70&20=73&23=76&24=79&26=81&29=84&30=87&32=89&33=92&39=95&47=99&48=102&54=107&59=111&60=114&61=116&75=122&76=125&79=129&82=132&83=135&89=138&90=142&95=152&96=155&98=157&103=160&104=164&114=171&123=174&124=177&127=179&129=185&132=187&133=190&137=193&141=196&142=200'