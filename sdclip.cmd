@echo off
rem sdclip launcher for Windows, doing what ./sdclip does: finds a JDK 25 through JAVA_HOME,
rem builds cli\target\sdclip.jar with the Maven wrapper when it is missing, and runs it with
rem --add-modules jdk.incubator.vector (the fast Vector API backend) and
rem --enable-native-access=ALL-UNNAMED (OpenCL). Extra JVM options come from SDCLIP_JAVA_OPTS.
rem Unlike ./sdclip it does not notice changed sources (delete the jar to rebuild), and the
rem JVM's one-line incubator notice is not filtered out.
setlocal
set "SDCLIP_ROOT=%~dp0"
if "%SDCLIP_ROOT:~-1%"=="\" set "SDCLIP_ROOT=%SDCLIP_ROOT:~0,-1%"

if not defined JAVA_HOME goto nojdk
if not exist "%JAVA_HOME%\bin\java.exe" goto nojdk
if not exist "%JAVA_HOME%\release" goto nojdk
set "SDCLIP_JAVA_VERSION="
set "SDCLIP_JAVA_MAJOR="
for /f "tokens=2 delims==" %%v in ('findstr /b "JAVA_VERSION=" "%JAVA_HOME%\release"') do set "SDCLIP_JAVA_VERSION=%%~v"
if not defined SDCLIP_JAVA_VERSION goto nojdk
for /f "tokens=1 delims=." %%m in ("%SDCLIP_JAVA_VERSION%") do set "SDCLIP_JAVA_MAJOR=%%m"
if not defined SDCLIP_JAVA_MAJOR goto nojdk
if %SDCLIP_JAVA_MAJOR% LSS 25 goto nojdk

set "SDCLIP_JAR=%SDCLIP_ROOT%\cli\target\sdclip.jar"
if exist "%SDCLIP_JAR%" goto run
echo sdclip: building the CLI jar (first run)... 1>&2
rem Maven itself trips JDK 24+'s sun.misc.Unsafe warnings; they are not ours to show.
set "MAVEN_OPTS=%MAVEN_OPTS% --sun-misc-unsafe-memory-access=allow"
call "%SDCLIP_ROOT%\mvnw.cmd" -q -B "-Dstyle.color=never" -f "%SDCLIP_ROOT%\pom.xml" -pl cli -am package -DskipTests "-Dmaven.test.skip=true" 1>&2
if errorlevel 1 goto buildfailed
if not exist "%SDCLIP_JAR%" goto buildfailed

:run
"%JAVA_HOME%\bin\java.exe" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED %SDCLIP_JAVA_OPTS% -jar "%SDCLIP_JAR%" %*
exit /b %ERRORLEVEL%

:nojdk
echo sdclip: no JDK 25 found: set JAVA_HOME to a JDK 25 or newer (JAVA_HOME=%JAVA_HOME%). 1>&2
echo sdclip: install one, e.g. Temurin 25 from https://adoptium.net, or run "java -jar sdclip.jar" with any JDK 25 (slower). 1>&2
exit /b 1

:buildfailed
echo sdclip: the build failed; run "%SDCLIP_ROOT%\mvnw.cmd -pl cli -am package" to see why. 1>&2
exit /b 1
